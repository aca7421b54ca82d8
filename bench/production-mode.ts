/**
 * Imported first by every benchmark that starts the server in its own process: graphql-js reads
 * NODE_ENV once, when it loads, and runs its development checks (instanceof across realms) unless
 * it is 'production', the server's default. Same rule as bin/provml.js (an empty NODE_ENV counts
 * as unset); set it in the environment to measure another mode, e.g. NODE_ENV=development.
 */
process.env.NODE_ENV = process.env.NODE_ENV || 'production';
