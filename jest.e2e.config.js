/** End-to-end suites against a real Docker engine (npm run test:e2e): one at a time, minutes each. */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  roots: ['<rootDir>/tools'],
  testMatch: ['**/e2e/**/*.e2e.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 15 * 60_000,
  maxWorkers: 1,
};
