// Copies what tsc does not: the SQL migrations, next to the compiled store code.
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
const from = path.join(root, 'src/connectors/provenance/migrations');
const to = path.join(root, 'dist/connectors/provenance/migrations');
fs.mkdirSync(to, { recursive: true });
for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f));
