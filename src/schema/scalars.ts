import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';

/** ISO-8601 date-time (RFC 3339), e.g. 2019-11-18T10:00:00.000Z. */
export const DateTimeScalar = DateTimeResolver;

/** Any JSON value: attribute values, execution data, prospective specs. */
export const JSONScalar = JSONResolver;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function toInt64(value: unknown): string {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value);
  else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) big = BigInt(value);
  else throw new GraphQLError(`Int64 must be an integer or a decimal string, got ${JSON.stringify(value)}`);
  if (big < INT64_MIN || big > INT64_MAX) throw new GraphQLError(`Int64 out of range: ${big}`);
  return big.toString();
}

/**
 * A signed 64-bit integer, serialised as a decimal string: JSON numbers lose precision past
 * 2^53 (GPU memory in bytes, training steps of long runs, PostgreSQL bigint ids).
 */
export const Int64Scalar = new GraphQLScalarType({
  name: 'Int64',
  description: 'A signed 64-bit integer, serialised as a decimal string so no client rounds it.',
  serialize: toInt64,
  parseValue: toInt64,
  parseLiteral(ast) {
    if (ast.kind === Kind.INT || ast.kind === Kind.STRING) return toInt64(ast.value);
    throw new GraphQLError('Int64 literal must be an integer or a string');
  },
});
