/** Injection token of the executor's settings (see config/executor.config.ts). */
export const EXECUTOR_SETTINGS = Symbol('EXECUTOR_SETTINGS');
