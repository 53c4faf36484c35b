// Unit specs sit beside their code; end-to-end specs live in test/. Both run on
// the real embedded engine where ClickHouse is involved (no mocks of it).
const moduleNameMapper = {
  '^@tallyhouse/(.*)$': '<rootDir>/libs/$1/src',
};
const transform = { '^.+\\.ts$': 'ts-jest' };
module.exports = {
  testTimeout: 120000,
  projects: [
    { displayName: 'unit', testEnvironment: 'node', roots: ['<rootDir>/libs', '<rootDir>/apps'], testMatch: ['**/*.spec.ts'], moduleNameMapper, transform },
    { displayName: 'e2e', testEnvironment: 'node', roots: ['<rootDir>/test'], testMatch: ['**/*.e2e-spec.ts'], moduleNameMapper, transform },
  ],
};
