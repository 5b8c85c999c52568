// Shared Jest settings: ESM TypeScript through SWC (decorator metadata on), libs resolved to source.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const swc = JSON.parse(readFileSync(new URL('./.swcrc', import.meta.url), 'utf8'));

/**
 * ES modules that CommonJS packages `require`, which Node 20.19 runs and Jest on Node 20 does not
 * (Swagger UI's static files through @fastify/static): compiled to CommonJS for the tests only.
 */
const ESM_REQUIRED_BY_CJS = '/node_modules/@fastify/static/node_modules/content-disposition/';

/** @returns {import('jest').Config} */
export function projectConfig(displayName, dir, overrides = {}) {
  return {
    displayName,
    rootDir: dir,
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
      '^.+\\.ts$': ['@swc/jest', { ...swc, swcrc: false }],
      [ESM_REQUIRED_BY_CJS]: ['@swc/jest', { swcrc: false, module: { type: 'commonjs' } }],
    },
    transformIgnorePatterns: [`^(?!.*${ESM_REQUIRED_BY_CJS}).*/node_modules/`],
    moduleNameMapper: {
      '^@convergio/([a-z-]+)$': [`${root}libs/$1/src/index.ts`, `${root}services/$1/src/index.ts`],
      // Subpath exports (package.json "exports"): a file or a folder of the lib's sources.
      '^@convergio/([a-z-]+)/([a-z-]+)$': [
        `${root}libs/$1/src/$2.ts`,
        `${root}libs/$1/src/$2/index.ts`,
      ],
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    testMatch: ['<rootDir>/src/**/*.spec.ts'],
    testTimeout: 30_000,
    ...overrides,
  };
}
