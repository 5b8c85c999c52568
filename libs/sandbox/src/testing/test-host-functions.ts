// Host functions for the sandbox's own tests, loaded inside plugin workers by URL.
import type { HostFunctionFactory, MainThreadOps } from '../host-api.js';
import type { SandboxServices } from '../process/process-protocol.js';

const CONSTANT = Object.freeze({ constant: true });

/** The names of the test table, which test modules may import. */
export const TEST_HOST_FUNCTION_NAMES = [
  'echo_host',
  'whoami',
  'add_main',
  'sleep_main',
  'calls_ended_main',
  'deny_me',
  'log_it',
  'log',
  'explode',
  'unserializable',
  'crash_worker',
  'exhaust_heap',
  'constant',
  'abort_process',
  'hoard',
] as const;

// What `hoard` keeps: memory no bound of the sandbox covers (a host function's own leak).
const hoarded: Buffer[] = [];

/** Test table: echoes, identity, main-thread round trips, refusals, events, failures. */
export const createHostFunctions: HostFunctionFactory = (env) =>
  ({
    echo_host: (input) => ({ echo: input }),
    whoami: () => ({
      plugin: env.plugin,
      grants: env.grants,
      environmentKeys: Object.keys(env).sort(),
      processEnvKeys: Object.keys(process.env),
    }),
    add_main: (input) => ({ sum: env.callMain('add', input), secrets: env.releasedSecrets() }),
    sleep_main: (input) => env.callMain('sleep', input),
    calls_ended_main: () => env.callMain('calls_ended', null),
    deny_me: (input) =>
      env.deny('fs.read', String((input as { path?: unknown }).path), 'fs.read is not granted'),
    log_it: (input) => {
      env.emit('log', input);
      env.emit('telemetry', { name: 'logged' });
      return { ok: true };
    },
    // What the kernel's log_* imports are routed to; the real one (libs/host-calls) limits and redacts.
    log: (input) => {
      env.emit('log', input);
      return { ok: true };
    },
    explode: () => {
      throw new Error('host exploded');
    },
    unserializable: () => ({ big: 1n }),
    crash_worker: () => process.exit(3),
    // Fills the worker's JavaScript heap until its resourceLimits end it.
    exhaust_heap: () => {
      const kept: number[][] = [];
      for (;;) kept.push(new Array<number>(1 << 20).fill(kept.length));
    },
    // The same frozen answer every time, as `log` gives `{ok: true}`.
    constant: () => CONSTANT,
    // What a V8 fatal error or a native crash in a worker does: the whole process aborts (SIGABRT,
    // exit 134), whatever the worker's resourceLimits say. The signal is delivered to the process
    // a moment later: the call waits for it, so no result can reach the executor first.
    abort_process: () => {
      process.kill(process.pid, 'SIGABRT');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
    },
    hoard: (input) => {
      hoarded.push(Buffer.alloc((input as { mib: number }).mib * 1024 * 1024, 1));
      return { hoarded: hoarded.length };
    },
  }) satisfies Record<(typeof TEST_HOST_FUNCTION_NAMES)[number], (input: unknown) => unknown>;

/** The main-thread side of `add_main` and `sleep_main`; `aborted` records what a stop aborted. */
export function testMainThreadOps(aborted: string[] = []): MainThreadOps {
  return {
    add: (payload, { releaseSecret }) => {
      const { a, b } = payload as { a: number; b: number };
      releaseSecret?.('s3cr3t');
      return Promise.resolve(a + b);
    },
    sleep: (payload, { signal, plugin }) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve('slept'), (payload as { ms: number }).ms);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          aborted.push(plugin.id);
          reject(signal.reason as Error);
        });
      }),
  };
}

/**
 * What a sandbox process of the tests runs on its main thread (see SandboxServicesSpec): the ops
 * above, and `calls_ended`, how many calls the process has heard end (`onCallEnd`).
 */
export function createSandboxServices(): SandboxServices {
  let ended = 0;
  return {
    ops: { ...testMainThreadOps(), calls_ended: () => ended },
    onCallEnd: () => void ended++,
  };
}
