export * from './health.controller.js';
export * from './bootstrap.js';
export * from './base-config.js';
export * from './service-root.module.js';
export * from './run-service.js';
export * from './public.decorator.js';
export * from './metrics.controller.js';
export * from './grants/platform-grants.js';
