export { procExecFunction, type ExecGrants, type ExecResult } from './proc-exec.js';
