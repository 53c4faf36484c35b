// Unit specs sit beside their code; end-to-end specs live in test/. Both run on
// the real embedded engine where ClickHouse is involved (no mocks of it).
const moduleNameMapper = {
  '^@tallyhouse/(.*)$': '<rootDir>/libs/$1/src',
};
const transform = { '^.+\\.ts$': 'ts-jest' };
module.exports = {
  testTimeout: 120000,
  // A real Kafka broker (scripts/kafka.sh) for the whole run unless KAFKA_BROKERS names one.
  globalSetup: '<rootDir>/test/support/kafka-global-setup.ts',
  globalTeardown: '<rootDir>/test/support/kafka-global-teardown.ts',
  // One embedded engine per process: a fresh worker for every test file (a
  // 1 MB idle limit restarts the worker after each file).
  workerIdleMemoryLimit: '1MB',
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/libs', '<rootDir>/apps'],
      testMatch: ['**/*.spec.ts'],
      moduleNameMapper,
      transform,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts'],
      moduleNameMapper,
      transform,
    },
  ],
};
