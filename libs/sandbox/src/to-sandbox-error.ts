import { errorMessage } from './error-message.js';
import { SandboxError } from './sandbox-error.js';

const TIMEOUT_MESSAGES = [
  'EXTISM: call canceled due to timeout',
  'EXTISM: timed out while waiting for plugin to instantiate',
];
const PLUGIN_ERROR_PREFIX = 'Plugin-originated error: ';

/** Maps whatever an Extism call rejected with to a typed {@link SandboxError}. */
export function toSandboxError(error: unknown, memoryLimitHit: boolean): SandboxError {
  if (error instanceof SandboxError) return error;
  const message = errorMessage(error);
  if (TIMEOUT_MESSAGES.includes(message))
    return new SandboxError('timeout', 'the plugin exceeded its wall-time limit');
  if (memoryLimitHit || message.includes('memory limit exceeded')) {
    return new SandboxError('memory_limit', `the plugin exceeded its memory limit (${message})`);
  }
  if (message.startsWith(PLUGIN_ERROR_PREFIX)) {
    return new SandboxError('plugin_error', message.slice(PLUGIN_ERROR_PREFIX.length));
  }
  if (isTrap(error)) return new SandboxError('trap', `the plugin trapped: ${message}`);
  return new SandboxError('runtime_failure', message);
}

// Worker-mode Extism flattens errors to {message, originalStack}; the stack still starts with the class name.
function isTrap(error: unknown): boolean {
  if (error instanceof WebAssembly.RuntimeError) return true;
  const stack =
    typeof error === 'object' && error !== null && 'originalStack' in error
      ? error.originalStack
      : undefined;
  return typeof stack === 'string' && stack.startsWith('RuntimeError');
}
