#!/usr/bin/env node
// The CLI is compiled by `npm ci` (the prepare script); this shim only loads it.
// Production mode unless told otherwise, set before graphql-js loads: in development mode it checks
// every instanceof across realms (about 5 % of a request's CPU, a quarter of Q4's wall time).
process.env.NODE_ENV = process.env.NODE_ENV || 'production';
require('../dist/cli.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`provml: ${err && err.message ? err.message : String(err)}`); process.exitCode = 1; },
);
