import { GraphQLError } from 'graphql';
import { pgConnectionFailure } from '../../src/connectors/provenance/pg-connection-error';

// Which failures of the provenance store are "PostgreSQL is not there" (retry: STORE_UNAVAILABLE)
// rather than a statement that failed (masked as INTERNAL_SERVER_ERROR).
describe('pgConnectionFailure', () => {
  const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

  it('names the reason of a refused, reset or shut-down connection', () => {
    expect(pgConnectionFailure(withCode('ECONNREFUSED'))).toBe('ECONNREFUSED');
    expect(pgConnectionFailure(withCode('57P01', 'terminating connection due to administrator command'))).toBe('57P01');
    expect(pgConnectionFailure(withCode('08006'))).toBe('08006');
    expect(pgConnectionFailure(new Error('Connection terminated unexpectedly'))).toBe('connection lost');
    expect(pgConnectionFailure(new AggregateError([withCode('ECONNREFUSED')], ''))).toBe('ECONNREFUSED');
    expect(pgConnectionFailure(new Error('wrapped', { cause: withCode('ECONNRESET') }))).toBe('ECONNRESET');
    // As the stitched gateway hands it over: a subschema's GraphQLError around the driver's error.
    const inner = new GraphQLError('the database system is starting up', { originalError: withCode('57P03') });
    expect(pgConnectionFailure(new GraphQLError(inner.message, { originalError: inner }))).toBe('57P03');
  });

  it('leaves statement failures alone', () => {
    expect(pgConnectionFailure(withCode('23505', 'duplicate key'))).toBeNull();
    expect(pgConnectionFailure(withCode('40P01', 'deadlock detected'))).toBeNull();
    expect(pgConnectionFailure(new Error('boom'))).toBeNull();
    expect(pgConnectionFailure('a string')).toBeNull();
  });
});
