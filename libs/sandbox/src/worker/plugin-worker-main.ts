// Entry point of a plugin worker: one plugin instance, run by Extism in inline mode, one call
// at a time. The supervisor on the main thread enforces wall time by terminating this thread.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { logMessageHeadBytes } from '@convergio/policy';
import { errorMessage } from '../error-message.js';
import type { HostFunctionFactory } from '../host-api.js';
import { PluginLogSink } from '../plugin-log-sink.js';
import { SandboxError } from '../sandbox-error.js';
import { BridgeClient } from '../sync-bridge.js';
import type { CallRequest, WorkerInit, WorkerMessage } from '../worker-protocol.js';
import { CallMeter } from './call-meter.js';
import { collectGarbage } from './collect-garbage.js';
import { portChannel, socketChannel, type CallChannel } from './call-channel.js';
import { createHostEnvironment, type WorkerHostEnvironment } from './host-environment.js';
import { InputChecks } from './input-checks.js';
import { WorkerPlugin } from './worker-plugin.js';

const init = workerData as WorkerInit;
const port = parentPort as MessagePort;
const post = (message: WorkerMessage) => port.postMessage(message);
// What a call refused before its function ran used (the supervisor adds its wall time).
const NOT_RUN = { wall_ms: 0, fuel_used: 0, memory_pages: null, host_calls: 0 };
// Extism diagnostics go to this thread's stderr, which the supervisor pipes to its logger.
const log = new PluginLogSink(
  { warn: (m) => console.warn(m), error: (m) => console.error(m) },
  'extism',
);

async function start(): Promise<void> {
  const factory = await loadFactory(init.hostFunctionsModule);
  const inputs = await InputChecks.load(init);
  const channel = init.callSocket ? await socketChannel(init.callSocket) : portChannel(port);
  const stats = new Float64Array(init.stats);
  const meter = new CallMeter(stats);
  const host = createHostEnvironment(
    init,
    channel,
    new BridgeClient(init.bridge, () => post({ type: 'bridge' })),
    meter,
  );
  // A fresh host-function table per instance: host functions may keep per-instance state.
  const instantiate = async () => {
    const created = await WorkerPlugin.create(
      init.module,
      factory(host.env),
      init.limits,
      log,
      meter,
      () => logMessageHeadBytes(init.policy.maxLogBytes, host.env.releasedSecrets()),
    );
    host.flushEvents(); // what the start function logged
    return created;
  };
  post({ type: 'instantiating' });
  let plugin = await instantiate();
  post({ type: 'ready' });
  // A replaced instance's linear memory is given back only by a collection: one runs before each
  // replacement, so at most two memories (the instance's and the one it replaced) are ever held.
  const replace = () => {
    collectGarbage?.();
    return instantiate();
  };
  let queue = Promise.resolve();
  channel.listen((request) => {
    queue = queue.then(async () => {
      // A call stopped in its input check reports nothing used, not the previous call's figures.
      stats.fill(0);
      const refused = inputs.check(request.inputSchema, request.input);
      if (refused)
        channel.send({ type: 'failed', id: request.id, error: refused, resources: NOT_RUN });
      else plugin = await serve(plugin, request, host, channel, replace);
    });
  });
}

async function serve(
  plugin: WorkerPlugin,
  request: CallRequest,
  host: WorkerHostEnvironment,
  channel: CallChannel,
  replace: () => Promise<WorkerPlugin>,
): Promise<WorkerPlugin> {
  host.beginCall();
  const outcome = await plugin.call(request.fn, request.input, init.limits);
  // The main thread hears of the end before any main-thread operation of the next call (one port
  // keeps the order), so what it kept for this call (sockets) is released first.
  if (init.callSocket && host.usedMainThread()) post({ type: 'call_ended' });
  channel.together(() => {
    host.flushEvents();
    channel.send(
      outcome.ok
        ? { type: 'result', id: request.id, output: outcome.output, resources: outcome.resources }
        : { type: 'failed', id: request.id, error: outcome.error, resources: outcome.resources },
    );
  });
  if (!outcome.recycle) return plugin;
  await plugin.close();
  return replace();
}

async function loadFactory(url: string): Promise<HostFunctionFactory> {
  const loaded = (await import(url)) as { createHostFunctions?: unknown };
  if (typeof loaded.createHostFunctions !== 'function')
    throw new SandboxError('runtime_failure', `${url} does not export createHostFunctions`);
  return loaded.createHostFunctions as HostFunctionFactory;
}

start().catch((error: unknown) => {
  const code = error instanceof SandboxError ? error.code : 'runtime_failure';
  post({ type: 'init_failed', error: { code, message: errorMessage(error) } });
});
