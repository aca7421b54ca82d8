import { asDataRef, parseEvent } from '../../src/ingest/events';

describe('parseEvent', () => {
  it('accepts a valid task begin with a data reference', () => {
    const r = parseEvent(
      { id: 'e1', type: 'taskBegin', task: 't', run: 'r', transformation: 'x', used: { f: { $ref: '/a', store: 'fs' } } },
      0,
    );
    expect('event' in r).toBe(true);
  });

  it('names the index and the nested field of a bad value', () => {
    const r = parseEvent({ id: 'e2', type: 'telemetry', run: 'r', gpu: [{ index: 0, power: -3 }] }, 7);
    expect('issue' in r && r.issue).toMatchObject({
      index: 7,
      eventId: 'e2',
      field: 'events[7].gpu[0].power',
      code: 'BAD_USER_INPUT',
    });
  });

  it('rejects an unknown event type with the list of known ones', () => {
    const r = parseEvent({ id: 'e3', type: 'bogus' }, 1);
    expect('issue' in r && r.issue.field).toBe('events[1].type');
    expect('issue' in r && r.issue.message).toMatch(/workflowBegin/);
  });

  it('rejects a missing id and a non-object event', () => {
    const a = parseEvent({ type: 'metric', run: 'r', name: 'loss', value: 1 }, 0);
    expect('issue' in a && a.issue.field).toBe('events[0].id');
    const b = parseEvent(42, 3);
    expect('issue' in b && b.issue.index).toBe(3);
  });

  it('rejects non-finite metric values and bad times', () => {
    const a = parseEvent({ id: 'm', type: 'metric', run: 'r', name: 'loss', value: 'NaN' }, 0);
    expect('issue' in a && a.issue.field).toBe('events[0].value');
    const b = parseEvent({ id: 'm', type: 'metric', run: 'r', name: 'loss', value: 1, time: 'yesterday' }, 0);
    expect('issue' in b && b.issue.field).toBe('events[0].time');
  });
});

describe('asDataRef', () => {
  it('recognises only objects whose keys are $ref and store', () => {
    expect(asDataRef({ $ref: '/x' })).toEqual({ uri: '/x', store: 'default' });
    expect(asDataRef({ $ref: 's3://b/k', store: 's3' })).toEqual({ uri: 's3://b/k', store: 's3' });
    expect(asDataRef({ $ref: '/x', other: 1 })).toBeNull();
    expect(asDataRef({ $ref: '' })).toBeNull();
    expect(asDataRef('/x')).toBeNull();
    expect(asDataRef([{ $ref: '/x' }])).toBeNull();
  });
});
