// graphql-ws publishes `graphql-ws/use/ws` through package.json "exports" only, which this
// project's CommonJS module resolution does not read for types (Node does, at run time).
declare module 'graphql-ws/use/ws' {
  export * from 'graphql-ws/dist/use/ws.cjs';
}
