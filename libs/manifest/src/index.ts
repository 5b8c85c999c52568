export * from './risk.js';
export * from './check-submission.js';
export * from './versions.js';
export * from './tool-input-schema.js';
export * from './keyring.js';
export * from './check-cache.js';
export * from './signature-check.js';
