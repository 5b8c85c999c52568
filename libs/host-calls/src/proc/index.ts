export { procExecFunction } from './proc-exec.js';
