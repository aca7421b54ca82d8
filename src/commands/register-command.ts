import fs from 'node:fs/promises';
import YAML from 'yaml';
import { parseWorkflowSpec } from '../ingest/workflow-spec';
import { CommandError, defineCommand } from './command-args';
import { graphqlRequest } from './graphql-request';
import { checkReadable } from './ingest-command';
import { jsonErrorAt } from './json-location';
import { DEFAULT_URL, resolveToken, SERVER_OPTIONS } from './server-options';

const REGISTER = 'mutation R($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { id name version } }';

/** `provml register SPEC`: validates the spec here first, so a bad file fails before any request. */
export const registerCommand = defineCommand({
  synopsis: 'provml register SPEC.{json,yaml} [--url URL] [--token TOKEN]',
  description:
    'Register a prospective workflow spec (docs/ingest.md). Registering the same spec again keeps\n' +
    'its version. Prints the registered id, name and version as one JSON line.',
  options: { ...SERVER_OPTIONS },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals: [file] }, io) {
    await checkReadable(file);
    const data = await readSpecFile(file);
    let spec;
    try {
      spec = parseWorkflowSpec(data);
    } catch (e) {
      throw new CommandError(`${file}: ${(e as Error).message}`);
    }
    const answer = await graphqlRequest(values.url ?? DEFAULT_URL, resolveToken(values.token, io.env), REGISTER, { s: spec });
    io.out.write(JSON.stringify(answer) + '\n');
    return 0;
  },
});

/** JSON or YAML by extension; a syntax error names the file, line and column. */
export async function readSpecFile(file: string): Promise<unknown> {
  const text = await fs.readFile(file, 'utf8');
  if (/\.ya?ml$/i.test(file)) {
    try {
      return YAML.parse(text);
    } catch (e) {
      const pos = (e as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
      const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
      throw new CommandError(`${where}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CommandError(jsonErrorAt(file, text, e));
  }
}
