// The whole suite: every lib's, service's and tool's unit specs plus the e2e suites.
// testTimeout is global in multi-project runs: 60 s covers the e2e cases that wait on the bus.
export default {
  projects: [
    '<rootDir>/libs/*/jest.config.mjs',
    '<rootDir>/services/*/jest.config.mjs',
    '<rootDir>/tools/*/jest.config.mjs',
  ],
  testTimeout: 60_000,
};
