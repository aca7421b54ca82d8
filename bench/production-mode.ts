/**
 * Imported first by the benchmarks that start the server in their own process: graphql-js reads
 * NODE_ENV once, when it is loaded, and runs its development checks (instanceOf across realms)
 * unless it is 'production', the server's default (bin/provml.js). Set in the environment to
 * measure another mode, e.g. NODE_ENV=development.
 */
process.env.NODE_ENV ??= 'production';
