export {
  MAX_EXEC_ARG_BYTES,
  MAX_EXEC_ARGS,
  parseExecRequest,
  type ExecRequest,
} from './exec-request.js';
export {
  capOutput,
  decideExec,
  decideExecAtAll,
  decideExecCwd,
  type BinaryGrant,
  type ExecDecision,
  type ExecFacts,
} from './exec-decision.js';
