export * from './service-harness.js';
