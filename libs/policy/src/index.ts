export * from './fs/index.js';
export * from './net/index.js';
export * from './exec/index.js';
export * from './redact/index.js';
