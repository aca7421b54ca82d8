#!/usr/bin/env node
// The CLI is compiled by `npm ci` (the prepare script); this shim only loads it.
require('../dist/cli.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`provml: ${err && err.message ? err.message : String(err)}`); process.exitCode = 1; },
);
