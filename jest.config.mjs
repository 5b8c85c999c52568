// The whole suite: every lib's, service's and tool's unit specs plus the e2e suites.
// testTimeout is global in multi-project runs: 60 s covers the e2e cases that wait on the bus.
export default {
  projects: [
    '<rootDir>/libs/*/jest.config.mjs',
    '<rootDir>/services/*/jest.config.mjs',
    '<rootDir>/tools/*/jest.config.mjs',
  ],
  testTimeout: 60_000,
  // With one worker (a 2-core box) Jest runs every file in the Jest process itself, whose heap
  // only grows: after 45 min it held 4.8 GB against a 4.3 GB limit and late suites timed out. With
  // a limit Jest always uses workers, and replaces one that a file leaves above it (ADR 0037).
  workerIdleMemoryLimit: '1GB',
};
