// Imported first by benchmarks that run the server in-process: the server's default mode, as
// bin/provml.js sets it before anything loads graphql-js (which reads NODE_ENV once, at load).
process.env.NODE_ENV ??= 'production';
