// A SandboxRuntime for tests that load one module and call it: the test host functions, a
// quiet logger and generous defaults that a test lowers per plugin.
import { createHash } from 'node:crypto';
import type { CallLimits, CallResources } from '../call-limits.js';
import { SandboxError } from '../sandbox-error.js';
import { SandboxRuntime } from '../sandbox-runtime.js';
import { TEST_HOST_FUNCTION_NAMES } from './test-host-functions.js';
import { TEST_POLICY } from './test-policy.js';

/** What a load and its calls came to, as plain data (it crosses a process boundary). */
export interface LoadReport {
  load: { ok: true; ms: number } | { ok: false; code: string; message: string; ms: number };
  calls: ({ ok: true } | { ok: false; code: string; message: string })[];
  resources: (CallResources | undefined)[];
}

const failure = (error: unknown) =>
  error instanceof SandboxError
    ? { ok: false as const, code: error.code, message: error.message }
    : { ok: false as const, code: 'not_a_sandbox_error', message: String(error) };

/** A runtime with the test host functions and defaults a 64 MiB module fits in. */
export function testRuntime(): SandboxRuntime {
  return new SandboxRuntime({
    hostFunctionsModule: new URL('./test-host-functions.ts', import.meta.url),
    hostFunctions: TEST_HOST_FUNCTION_NAMES,
    policy: TEST_POLICY,
    defaults: {
      wallTimeMs: 10_000,
      fuel: 200_000_000,
      maxMemoryPages: 1100,
      maxHostCalls: 100,
      maxOutputBytes: 1 << 20,
    },
    logger: { warn: () => undefined, error: () => undefined },
  });
}

/** Loads `bytes` (no grants) under `limits`, calls each of `calls` with empty input, closes. */
export async function loadAndCall(
  runtime: SandboxRuntime,
  bytes: Uint8Array,
  limits: Partial<CallLimits> = {},
  calls: readonly string[] = [],
): Promise<LoadReport> {
  const started = performance.now();
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const identity = { id: 'test.bounds', version: '1.0.0', trust: 'untrusted' as const };
  const loaded = await runtime.load(bytes, sha256, { identity, grants: {}, limits }).then(
    (plugin) => ({ ok: true as const, plugin }),
    (error: unknown) => failure(error),
  );
  const ms = performance.now() - started;
  const report: LoadReport = {
    load: loaded.ok ? { ok: true, ms } : { ...loaded, ms },
    calls: [],
    resources: [],
  };
  if (!loaded.ok) return report;
  for (const fn of calls) {
    try {
      report.resources.push((await loaded.plugin.call(fn, new Uint8Array(0))).resources);
      report.calls.push({ ok: true });
    } catch (error) {
      report.resources.push(error instanceof SandboxError ? error.resources : undefined);
      report.calls.push(failure(error));
    }
  }
  await loaded.plugin.close();
  return report;
}
