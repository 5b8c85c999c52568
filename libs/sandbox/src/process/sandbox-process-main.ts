// The entry point of a sandbox process: one plugin version, its instances (worker threads) and
// the main-thread operations its host functions use, isolated from the executor so that a V8
// fatal error, an external-memory blow-up or a native crash ends this process only. The executor
// runs the calls itself, on each worker's call socket; this thread starts and halts workers,
// reports those that die, and serves their main-thread operations. The version's denial bucket
// (ADR 0026) is the prepared plugin's: every worker started here shares it, replacements included.
import { errorMessage } from '../error-message.js';
import { PluginWorker } from '../plugin-worker.js';
import { SandboxError } from '../sandbox-error.js';
import { SandboxRuntime, type PreparedPlugin } from '../sandbox-runtime.js';
import {
  UNKNOWN_PROGRESS,
  type ExecutorLink,
  type FromSandboxProcess,
  type ProcessFailure,
  type SandboxServices,
  type ToSandboxProcess,
} from './process-protocol.js';

const send = (message: FromSandboxProcess): void => {
  process.send?.(message);
};

const failure = (error: unknown): ProcessFailure =>
  error instanceof SandboxError
    ? { code: error.code, message: error.message }
    : { code: 'runtime_failure', message: errorMessage(error) };

let plugin: PreparedPlugin | undefined;
const executorReplies = new Map<
  number,
  { resolve(result: unknown): void; reject(e: Error): void }
>();
let executorRequests = 0;

const executor: ExecutorLink = (op, payload) =>
  new Promise((resolve, reject) => {
    const id = ++executorRequests;
    executorReplies.set(id, { resolve, reject });
    send({ type: 'executor_request', id, op, payload });
  });

function executorReply(message: Extract<ToSandboxProcess, { type: 'executor_reply' }>): void {
  const pending = executorReplies.get(message.id);
  executorReplies.delete(message.id);
  if (message.ok) pending?.resolve(message.result);
  else pending?.reject(new Error(message.message));
}
const workers = new Map<string, PluginWorker>();
/** Telemetry events each ended worker had dropped and not sent, until the executor hears of it. */
const unsentDrops = new Map<string, number>();

function takeUnsentDrops(instance: string): number {
  const count = unsentDrops.get(instance) ?? 0;
  unsentDrops.delete(instance);
  return count;
}

async function load(message: Extract<ToSandboxProcess, { type: 'load' }>): Promise<void> {
  try {
    const { init } = message;
    const services = init.services
      ? (
          (await import(init.services.module)) as {
            createSandboxServices: (options: unknown, executor: ExecutorLink) => SandboxServices;
          }
        ).createSandboxServices(init.services.options, executor)
      : undefined;
    const runtime = new SandboxRuntime({
      hostFunctionsModule: init.hostFunctionsModule,
      hostFunctions: init.hostFunctions,
      inputCheck: init.inputCheck ?? undefined,
      mainThreadOps: services?.ops,
      policy: init.policy,
      defaults: init.defaults,
      workerStartTimeoutMs: init.workerStartTimeoutMs,
      onCallEnd: (_plugin, instance) => services?.onCallEnd?.(instance),
    });
    plugin = await runtime.prepare(message.bytes, message.sha256, message.spec);
    const { functions, limits, cached } = plugin;
    send({ type: 'loaded', functions: [...functions], limits, cached });
  } catch (error) {
    send({ type: 'load_failed', error: failure(error) });
  }
}

async function startInstance(
  message: Extract<ToSandboxProcess, { type: 'start_instance' }>,
): Promise<void> {
  const { instance, callSocketPath } = message;
  try {
    if (!plugin) throw new SandboxError('plugin_closed', 'no plugin is loaded');
    const { worker } = plugin;
    const started = await PluginWorker.start({
      ...worker,
      init: { ...worker.init, callSocket: { path: callSocketPath, instance } },
      events: {
        ...worker.events,
        // The worker's batches go to the executor on its call socket: only the count it held
        // when it ended comes here.
        emitted: (events) => {
          for (const event of events)
            if (event.kind === 'telemetry_dropped')
              unsentDrops.set(instance, (unsentDrops.get(instance) ?? 0) + event.payload);
        },
        exited: (reason, code) => {
          const progress = workers.get(instance)?.progress() ?? UNKNOWN_PROGRESS;
          workers.delete(instance);
          const droppedTelemetry = takeUnsentDrops(instance);
          send({ type: 'instance_exited', instance, reason, code, progress, droppedTelemetry });
        },
      },
    });
    workers.set(instance, started);
    send({ type: 'instance_started', instance });
  } catch (error) {
    send({ type: 'instance_failed', instance, error: failure(error) });
  }
}

async function haltInstance(instance: string): Promise<void> {
  const worker = workers.get(instance);
  workers.delete(instance);
  const progress = worker ? await worker.halt() : UNKNOWN_PROGRESS;
  send({
    type: 'instance_halted',
    instance,
    progress,
    droppedTelemetry: takeUnsentDrops(instance),
  });
}

process.on('message', (message: ToSandboxProcess) => {
  switch (message.type) {
    case 'load':
      void load(message);
      return;
    case 'start_instance':
      void startInstance(message);
      return;
    case 'halt_instance':
      void haltInstance(message.instance);
      return;
    case 'executor_reply':
      executorReply(message);
      return;
    case 'close':
      // Disconnecting drops what the channel has not written yet: `closed` goes first.
      void Promise.all([...workers.values()].map((worker) => worker.terminate())).finally(() =>
        process.send?.({ type: 'closed' }, () => process.disconnect()),
      );
      return;
  }
});
// The executor went away: nothing is left to serve.
process.on('disconnect', () => process.exit(0));
// Only the executor ends this process (a close, a kill at a bound, its own exit): signals sent to
// its whole process group (a terminal's Ctrl-C, a service manager's stop) are the executor's to
// act on, and would otherwise end every loaded version as if it had crashed.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
