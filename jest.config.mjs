// The whole suite: every lib's and service's unit specs plus the e2e suites.
export default {
  projects: ['<rootDir>/libs/*/jest.config.mjs', '<rootDir>/services/*/jest.config.mjs'],
};
