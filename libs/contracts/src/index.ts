export * from './subjects.js';
export * from './error-codes.js';
export * from './host-call-errors.js';
export * from './manifest.schema.js';
export * from './event-payloads.js';
export * from './request-payloads.js';
export * from './envelope.js';
export * from './validation.js';
