/** Jest runs the TypeScript sources directly; suites that start servers get generous timeouts. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: false }] },
  setupFiles: ['reflect-metadata'],
  testTimeout: 60000,
  // One worker per core: suites start their own PostgreSQL databases and servers.
  maxWorkers: 2,
};
