/** Operator limits applied to every call (a later issue adds per-plugin caps and CPU fuel). */
export interface ExecutorLimits {
  timeoutMs: number;
  maxMemoryPages: number;
}
export const EXECUTOR_LIMITS = Symbol('EXECUTOR_LIMITS');
