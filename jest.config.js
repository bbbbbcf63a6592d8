/** One Jest run for the whole workspace: tests live next to the code they test. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
  testMatch: ['**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '\\.e2e\\.spec\\.ts$'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // PGlite takes seconds to start, many times that on a loaded 2-core machine.
  testTimeout: 120000,
  // A suite that leaves a handle open must not hold CI past the end of the run.
  forceExit: true,
};
