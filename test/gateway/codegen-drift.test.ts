import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

const root = path.join(__dirname, '../..');
const TARGET = 'src/generated/operations.ts';

describe('codegen.yml output', () => {
  it(`${TARGET} is what \`npm run codegen\` produces from schema.graphql`, () => {
    // Run the real CLI on the project's config, redirected to a temporary file.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-codegen-'));
    try {
      const config = YAML.parse(fs.readFileSync(path.join(root, 'codegen.yml'), 'utf8')) as {
        generates: Record<string, unknown>;
      };
      const out = path.join(tmp, 'operations.ts');
      config.generates = { [out]: config.generates[TARGET] };
      const cfg = path.join(tmp, 'codegen.yml');
      fs.writeFileSync(cfg, YAML.stringify(config));
      execFileSync(path.join(root, 'node_modules/.bin/graphql-codegen'), ['--config', cfg, '--silent'], {
        cwd: root,
        stdio: 'pipe',
      });
      expect(fs.readFileSync(out, 'utf8')).toBe(fs.readFileSync(path.join(root, TARGET), 'utf8'));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});
