// The sandbox runtime as the executor sets it up (a sandbox process per plugin, real host
// functions, limits on), and the same runtime inside this process, for benchmarks.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { ProcessSandboxRuntime, SandboxRuntime } from '../../libs/sandbox/dist/index.js';
import { createMainThreadOps, HOST_FUNCTION_NAMES } from '../../libs/host-calls/dist/index.js';

const built = (specifier) => pathToFileURL(createRequire(import.meta.url).resolve(specifier));

export const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');
export const spec = (id) => ({
  identity: { id, version: '1.0.0', trust: 'untrusted' },
  grants: {},
});

/** The executor's runtime (one sandbox process per plugin) with generous limits; `options` override. */
export function benchRuntime(options = {}) {
  return new ProcessSandboxRuntime({
    ...common(),
    services: {
      module: built('@convergio/host-calls/sandbox-services').href,
      options: { dnsServers: null },
    },
    memoryCeilingBytes: 4 * 1024 ** 3,
    ...options,
  });
}

/** The same runtime without the process boundary: plugin workers in this process. */
export function threadRuntime(options = {}) {
  return new SandboxRuntime({
    ...common(),
    mainThreadOps: createMainThreadOps(),
    logger: { warn: () => {}, error: console.error, log: () => {} },
    ...options,
  });
}

/** Resident memory of this process and of every process it started, bytes. */
export function treeRss() {
  const children = execFileSync('ps', ['-o', 'rss=', '--ppid', String(process.pid)], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean)
    .reduce((sum, kb) => sum + Number(kb) * 1024, 0);
  return process.memoryUsage().rss + children;
}

function common() {
  return {
    hostFunctionsModule: built('@convergio/host-calls/host-functions'),
    hostFunctions: HOST_FUNCTION_NAMES,
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
      telemetryEventsPerSecond: 1_000_000,
      denialsPerSecond: 1_000_000,
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
  };
}
