// The sandbox runtime as the executor sets it up (real host functions, limits on), for benchmarks.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { SandboxRuntime } from '../../libs/sandbox/dist/index.js';
import { createMainThreadOps } from '../../libs/host-calls/dist/index.js';

export const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');
export const spec = (id) => ({
  identity: { id, version: '1.0.0', trust: 'untrusted' },
  grants: {},
});

/** A runtime with generous limits and the executor's host functions; `options` override. */
export function benchRuntime(options = {}) {
  return new SandboxRuntime({
    hostFunctionsModule: pathToFileURL(
      createRequire(import.meta.url).resolve('@convergio/host-calls/host-functions'),
    ),
    mainThreadOps: createMainThreadOps(),
    policy: {
      allowPrivateNetworks: false,
      maxFileBytes: 1 << 20,
      maxHttpRequestBytes: 1 << 20,
      maxHttpResponseBytes: 1 << 20,
      httpTimeoutMs: 5000,
      maxWebSocketMessageBytes: 1 << 16,
      maxProcOutputBytes: 1 << 16,
      procTimeoutMs: 5000,
      maxLogBytes: 4096,
      logLinesPerSecond: 1_000_000,
      protection: { roots: ['/proc', '/sys', '/dev'], ownDir: null },
      pluginDir: null,
    },
    defaults: {
      wallTimeMs: 10_000,
      fuel: 1e12,
      maxMemoryPages: 1024,
      maxHostCalls: 10_000,
      maxOutputBytes: 1 << 20,
    },
    logger: { warn: () => {}, error: console.error, log: () => {} },
    ...options,
  });
}
