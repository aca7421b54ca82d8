/** Jest runs the TypeScript sources directly; suites that start servers get generous timeouts. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Transpile only (tsconfig.jest.json sets isolatedModules): the suite type-checks once, with tsc.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  // The TypeScript client package, by the alias the server uses (package.json "imports"), as sources.
  moduleNameMapper: { '^#client$': '<rootDir>/clients/typescript/src/index.ts' },
  setupFiles: ['reflect-metadata'],
  testTimeout: 60000,
  // One worker per core: suites start their own PostgreSQL databases and servers.
  maxWorkers: 2,
};
