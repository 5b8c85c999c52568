import { projectConfig } from '../../jest.preset.mjs';

// One platform (seven service processes, real NATS and PostgreSQL) serves every case file.
export default projectConfig('platform-e2e', import.meta.dirname, {
  testMatch: ['<rootDir>/src/*.e2e.ts'],
  testTimeout: 60_000,
});
