import fs from 'node:fs';
import path from 'node:path';
import { mapRequests } from '../../src/interop/provlake/provlake-events';
import { OpenTasks } from '../../src/interop/provlake/provlake-nesting';
import { parseRetrospectiveBody } from '../../src/interop/provlake/provlake-requests';

// The recorded session of the real library (test/fixtures/provlake/README.md), all its
// retrospective requests in one body: a bag as large as the whole script.
const session = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/provlake/lifecycle-session.json'), 'utf8')) as {
  requests: Array<{ path: string; body: unknown }>;
};
const all = session.requests.filter((r) => r.path.endsWith('retrospective-provenance')).flatMap((r) => r.body as unknown[]);

describe('ProvLake mapping', () => {
  const { events } = mapRequests(parseRetrospectiveBody(all));
  const begins = events.map((e) => e.event).filter((e) => e.type === 'taskBegin');
  const beginOf = (task: RegExp, id = /:begin$/) => begins.filter((e) => task.test(String(e.task)) && id.test(String(e.id)));

  it('nests each cycle iteration under the task open around it in the same body (also the begins that task requests carry)', () => {
    const train = beginOf(/:train:/)[0].task;
    const epochs = beginOf(/:cycle:epoch:/);
    expect(epochs.length).toBeGreaterThanOrEqual(2);
    for (const e of epochs) expect(e.parent).toBe(train);
    // Batches under their iterations; the iteration-0 ones came without parent_cycle_iteration.
    for (const b of beginOf(/:batch:/)) expect(String(b.parent)).toMatch(/:cycle:epoch:[01]$/);
  });

  it('maps Generate to a GENERATED begin with the inputs, Input to the begin, Output to the end', () => {
    const [gen] = beginOf(/:train:/, /:generate$/);
    expect(gen).toMatchObject({ status: 'GENERATED', used: { batch_size: 60, learning_rate: 0.01 } });
    const [begin] = beginOf(/:train:/);
    expect(begin.status).toBeUndefined();
    expect(begin.used).toBeUndefined();
    // generatedTime and startTime are microseconds apart in a `with ProvTask(...)` block.
    expect(Number(begin.time)).toBeGreaterThanOrEqual(Number(gen.time));
    const end = events.map((e) => e.event).find((e) => e.type === 'taskEnd' && /:train:/.test(String(e.task)))!;
    expect(end.generated).toMatchObject({ loss: 0.4, model_file: { $ref: '/models/model188.hdf5', store: 'fs' } });
    expect(Number(end.time)).toBeGreaterThan(Number(begin.time));
  });

  it('takes the open tasks a body starts with from the store, the innermost first, never an iteration of the same cycle', () => {
    const at = (s: number) => new Date(1_700_000_000_000 + s * 1000);
    const open = new OpenTasks([
      { runId: 'r', id: 'r:train:1', startedAt: at(1) },
      { runId: 'r', id: 'r:cycle:epoch:0', startedAt: at(2) },
      { runId: 'r', id: 'r:inner:3', startedAt: at(3) },
    ]);
    const cycle = (name: string, iteration: number, t: number) => ({
      act_type: 'cycle',
      dataflow_name: 'd',
      prov_obj: {
        cycle: { iteration_id: iteration, wf_execution: 'r', startTime: 1_700_000_000 + t, status: 'RUNNING' },
        cycle_name: name,
        type: 'Input',
        values: {},
      },
    });
    const mapped = mapRequests(parseRetrospectiveBody([cycle('epoch', 1, 4), cycle('step', 0, 5)]), undefined, open);
    const parents = mapped.events.filter((e) => e.event.type === 'taskBegin').map((e) => [e.event.task, e.event.parent]);
    expect(parents).toEqual([
      ['r:cycle:epoch:1', 'r:inner:3'],
      ['r:cycle:step:0', 'r:cycle:epoch:1'],
    ]);
  });
});
