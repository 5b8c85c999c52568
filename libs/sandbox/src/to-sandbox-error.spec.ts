import { SandboxError, type SandboxErrorCode } from './sandbox-error.js';
import { toSandboxError } from './to-sandbox-error.js';

describe('toSandboxError', () => {
  const workerTrap = {
    message: 'unreachable',
    originalStack: 'RuntimeError: unreachable\n    at wasm://wasm/...',
  };

  it.each<[string, unknown, boolean, SandboxErrorCode, string | RegExp]>([
    [
      'a call timeout',
      new Error('EXTISM: call canceled due to timeout'),
      false,
      'timeout',
      /wall-time/,
    ],
    [
      'an instantiation timeout',
      new Error('EXTISM: timed out while waiting for plugin to instantiate'),
      false,
      'timeout',
      /wall-time/,
    ],
    ['error_set', new Error('Plugin-originated error: boom'), false, 'plugin_error', 'boom'],
    ['an inline trap', new WebAssembly.RuntimeError('unreachable'), false, 'trap', /unreachable/],
    ['a worker-mode trap (plain object)', workerTrap, false, 'trap', /unreachable/],
    [
      'a refused allocation seen in the log',
      { message: 'Offset is outside the bounds of the DataView' },
      true,
      'memory_limit',
      /memory limit/,
    ],
    [
      'a var limit',
      new Error('Plugin-originated error: var memory limit exceeded: 9 bytes requested, 8 allowed'),
      false,
      'memory_limit',
      /var memory/,
    ],
    [
      'anything else',
      'plugin is not reentrant',
      false,
      'runtime_failure',
      'plugin is not reentrant',
    ],
  ])('maps %s', (_case, error, memoryLimitHit, code, message) => {
    const mapped = toSandboxError(error, memoryLimitHit);
    expect(mapped.code).toBe(code);
    expect(mapped.message).toMatch(message);
  });

  it('passes a SandboxError through', () => {
    const error = new SandboxError('function_not_found', 'no');
    expect(toSandboxError(error, true)).toBe(error);
  });
});
