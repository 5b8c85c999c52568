export * from './risk.js';
export * from './check-submission.js';
