// The entry point of a sandbox process: one plugin version, its instances (worker threads) and
// the main-thread operations its host functions use, isolated from the executor so that a V8
// fatal error, an external-memory blow-up or a native crash ends this process only.
import { errorMessage } from '../error-message.js';
import { EventBatch } from '../event-batch.js';
import { SandboxError } from '../sandbox-error.js';
import type { LoadedSandboxPlugin } from '../sandbox-plugin.js';
import { SandboxRuntime } from '../sandbox-runtime.js';
import type {
  FromSandboxProcess,
  ProcessFailure,
  SandboxServices,
  ToSandboxProcess,
} from './process-protocol.js';

const send = (message: FromSandboxProcess): void => {
  process.send?.(message);
};

// A worker's batch arrives as one message and is forwarded as one; the flush runs before the
// message that follows it (a call's result) is handled.
let flushQueued = false;
const emitted = new EventBatch((events) => send({ type: 'emitted', events }));
const queueFlush = () => {
  if (flushQueued) return;
  flushQueued = true;
  queueMicrotask(() => {
    flushQueued = false;
    emitted.flush();
  });
};

const failure = (error: unknown): ProcessFailure =>
  error instanceof SandboxError
    ? {
        code: error.code,
        message: error.message,
        ...(error.resources && { resources: error.resources }),
        ...(error.details && { details: error.details }),
      }
    : { code: 'runtime_failure', message: errorMessage(error) };

let plugin: LoadedSandboxPlugin | undefined;

async function load(message: Extract<ToSandboxProcess, { type: 'load' }>): Promise<void> {
  const { init } = message;
  const services = init.services
    ? (
        (await import(init.services.module)) as {
          createSandboxServices: (options: unknown) => SandboxServices;
        }
      ).createSandboxServices(init.services.options)
    : undefined;
  const runtime = new SandboxRuntime({
    hostFunctionsModule: init.hostFunctionsModule,
    hostFunctions: init.hostFunctions,
    inputCheckModule: init.inputCheckModule ?? undefined,
    mainThreadOps: services?.ops,
    policy: init.policy,
    defaults: init.defaults,
    instancesPerPlugin: init.instancesPerPlugin,
    onDenied: (_plugin, event) => send({ type: 'denied', ...event }),
    onLog: (_plugin, payload) => {
      emitted.add({ kind: 'log', payload });
      queueFlush();
    },
    onTelemetry: (_plugin, payload) => {
      emitted.add({ kind: 'telemetry', payload });
      queueFlush();
    },
    onCallEnd: (_plugin, instance) => services?.onCallEnd?.(instance),
  });
  try {
    plugin = await runtime.load(message.bytes, message.sha256, message.spec);
    send({ type: 'loaded', loadMs: plugin.loadMs, cached: plugin.cached });
  } catch (error) {
    send({ type: 'load_failed', error: failure(error) });
  }
}

function call(message: Extract<ToSandboxProcess, { type: 'call' }>): void {
  if (!plugin) {
    send({
      type: 'failed',
      id: message.id,
      error: { code: 'plugin_closed', message: 'not loaded' },
    });
    return;
  }
  const answered = plugin
    .call(message.fn, message.input, { inputSchema: message.inputSchema })
    .then(
      ({ output, resources }) => send({ type: 'result', id: message.id, output, resources }),
      (error: unknown) => send({ type: 'failed', id: message.id, error: failure(error) }),
    );
  answering.add(answered);
  void answered.finally(() => answering.delete(answered));
}

// Calls whose answer is not yet handed to the channel: a close waits for them.
const answering = new Set<Promise<void>>();

process.on('message', (message: ToSandboxProcess) => {
  switch (message.type) {
    case 'load':
      void load(message);
      return;
    case 'call':
      call(message);
      return;
    case 'close':
      // Disconnecting drops what the channel has not written yet: every answer goes first.
      void (plugin?.close(message) ?? Promise.resolve())
        .then(() => Promise.all(answering))
        .finally(() => process.send?.({ type: 'closed' }, () => process.disconnect()));
      return;
  }
});
// The executor went away: nothing is left to serve.
process.on('disconnect', () => process.exit(0));
