import { loadDemo } from '../../src/demo/load-demo';
import { DEMO } from '../../src/demo/demo-events';
import { createTestApp, type TestApp } from '../helpers/app';

// models(filter: { hyperparameters, evaluations }): the search page's "loss < 0.01,
// learning_rate = 0.01", checked against what the same models report on their own fields.

type Named = { name: string; value: unknown };
interface ModelRow {
  reference: { uri: string };
  hyperparameters: Named[];
  evaluations: Named[];
}
const FIELDS = `nodes { reference { uri } hyperparameters { name value } evaluations { name value } } pageInfo { endCursor hasNextPage }`;
const QUERY = `query($f: ModelFilter, $first: Int!, $after: String) { models(filter: $f, first: $first, after: $after) { ${FIELDS} } }`;
const valueOf = (xs: Named[], name: string) => xs.find((x) => x.name === name)?.value;

describe('models filtered by hyperparameter and evaluation values', () => {
  let app: TestApp;
  let all: ModelRow[];
  const list = async (filter: Record<string, unknown>, first = 100) => {
    const res = await app.run<{ models: { nodes: ModelRow[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } }>(
      QUERY,
      {
        f: filter,
        first,
      },
    );
    expect(res.errors).toBeUndefined();
    return res.data!.models.nodes.map((m) => m.reference.uri);
  };

  beforeAll(async () => {
    app = await createTestApp();
    expect((await loadDemo(app.deps)).rejected).toBe(0);
    const res = await app.run<{ models: { nodes: ModelRow[] } }>(QUERY, { first: 100 });
    all = res.data!.models.nodes;
    expect(all.length).toBeGreaterThan(4);
  });
  afterAll(() => app?.close());

  it('keeps the models with an evaluation below a bound (loss < 0.01)', async () => {
    const expected = all.filter((m) => (valueOf(m.evaluations, 'loss') as number) < 0.01).map((m) => m.reference.uri);
    const got = await list({ evaluations: [{ name: 'loss', op: 'LT', value: 0.01 }] });
    expect(got).toEqual(expected);
    expect(got).toContain(DEMO.bestModel);
    expect(got.length).toBeLessThan(all.length);
  });

  it('keeps the models trained with a hyperparameter value, learning_rate = 0.01 (set on the training task, in scope of its epochs)', async () => {
    const got = await list({ hyperparameters: [{ name: 'learning_rate', op: 'EQ', value: 0.01 }] });
    const expected = all.filter((m) => valueOf(m.hyperparameters, 'learning_rate') === 0.01).map((m) => m.reference.uri);
    expect(got).toEqual(expected);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(all.length);
  });

  it('ANDs conditions, compares model hyperparameters and strings, and NE', async () => {
    const got = await list({
      hyperparameters: [
        { name: 'learning_rate', op: 'EQ', value: 0.01 },
        { name: 'epoch', op: 'GTE', value: 188 },
        { name: 'optimizer', op: 'EQ', value: 'Adam' },
      ],
      evaluations: [{ name: 'loss', op: 'LTE', value: DEMO.bestLoss }],
    });
    expect(got).toEqual([DEMO.bestModel]);
    expect(await list({ hyperparameters: [{ name: 'optimizer', op: 'NE', value: 'Adam' }] })).toEqual([]);
    // A string bound never matches a number, and a missing name matches nothing.
    expect(await list({ evaluations: [{ name: 'loss', op: 'LT', value: 'z' }] })).toEqual([]);
    expect(await list({ evaluations: [{ name: 'no_such_measure', op: 'GT', value: 0 }] })).toEqual([]);
  });

  it('pages the filtered list by cursor', async () => {
    const filter = { evaluations: [{ name: 'loss', op: 'LT', value: 0.01 }] };
    const whole = await list(filter);
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 20; i++) {
      const res: { data?: { models: { nodes: ModelRow[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } } } =
        await app.run(QUERY, { f: filter, first: 2, after });
      seen.push(...res.data!.models.nodes.map((m) => m.reference.uri));
      if (!res.data!.models.pageInfo.hasNextPage) break;
      after = res.data!.models.pageInfo.endCursor;
    }
    expect(seen).toEqual(whole);
  });

  it('refuses an ordering on a value that is neither number nor string, naming the field', async () => {
    const res = await app.run(QUERY, { f: { hyperparameters: [{ name: 'lr', op: 'LT', value: { a: 1 } }] }, first: 5 });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.hyperparameters.0.value' });
    const many = Array.from({ length: 11 }, () => ({ name: 'loss', op: 'LT', value: 1 }));
    const tooMany = await app.run(QUERY, { f: { evaluations: many }, first: 5 });
    expect(tooMany.errors?.[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });
});
