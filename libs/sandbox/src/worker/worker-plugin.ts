import createPlugin, { type Plugin } from '@extism/extism';
import type { CallLimits, CallResources } from '../call-limits.js';
import { errorMessage } from '../error-message.js';
import type { HostFunctionTable } from '../host-api.js';
import { FUEL_GLOBAL_EXPORT, START_EXPORT } from '../instrument-fuel.js';
import type { PluginLogSink } from '../plugin-log-sink.js';
import { SandboxError } from '../sandbox-error.js';
import type { WorkerFailure } from '../worker-protocol.js';
import { CallMeter } from './call-meter.js';
import { toExtismFunctions } from './host-table.js';

const MAX_VAR_BYTES = 1 << 20;
const PAGE_BYTES = 65536;
const PLUGIN_ERROR_PREFIX = 'Plugin-originated error: ';
const RECYCLE_AT_CAP_FRACTION = 0.875;

/** What one call produced inside the worker. */
export type CallOutcome =
  | { ok: true; output: Uint8Array; resources: CallResources }
  | { ok: false; error: WorkerFailure; resources: CallResources };

/** The Extism plugin of a worker (inline mode) with its meter; rebuilt after any trap. */
export class WorkerPlugin {
  private constructor(
    private readonly plugin: Plugin,
    private readonly meter: CallMeter,
    private readonly memory: WebAssembly.Memory | undefined,
    private readonly log: PluginLogSink,
    // Linear memory after instantiation: a module born near its cap is not recycled for that.
    private readonly initialPages: number,
  ) {}

  /** Instantiates `module`; refuses (module_import_forbidden) host imports missing from `table`. */
  static async create(
    module: WebAssembly.Module,
    table: HostFunctionTable,
    limits: CallLimits,
    log: PluginLogSink,
    stats: Float64Array,
  ): Promise<WorkerPlugin> {
    const missing = WebAssembly.Module.imports(module)
      .filter((i) => i.module === 'extism:host/user')
      .map((i) => i.name)
      .filter((name) => !Object.hasOwn(table, name));
    if (missing.length > 0)
      throw new SandboxError(
        'module_import_forbidden',
        `unknown host functions: ${missing.join(', ')}`,
      );
    const meter = new CallMeter(stats);
    const plugin = await createPlugin(
      { wasm: [{ module }] },
      {
        useWasi: false,
        runInWorker: false,
        functions: { 'extism:host/user': toExtismFunctions(table, meter) },
        logLevel: 'warn',
        logger: log.asConsole(),
        memory: {
          maxPages: limits.maxMemoryPages,
          maxVarBytes: MAX_VAR_BYTES,
          maxHttpResponseBytes: 0,
        },
      },
    );
    const exports = (await plugin.getInstance()).exports;
    meter.attach(exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global | undefined);
    await runStartFunction(plugin, exports[START_EXPORT], meter, limits);
    const memory = Object.values(exports).find((value) => value instanceof WebAssembly.Memory);
    return new WorkerPlugin(plugin, meter, memory, log, pagesOf(memory) ?? 0);
  }

  /**
   * Runs one call under `limits`; never throws. `recycle` says the instance must be replaced
   * before the next call: after a trap its state cannot be trusted, and near its memory cap a
   * plugin whose allocator never frees (AssemblyScript's stub runtime) would fail its next call.
   */
  async call(
    fn: string,
    input: Uint8Array,
    limits: CallLimits,
  ): Promise<CallOutcome & { recycle: boolean }> {
    this.meter.begin(limits);
    this.log.clear();
    const started = performance.now();
    let output: Uint8Array | undefined;
    let failure: unknown;
    try {
      // A copy with its own buffer, so it can be transferred to the main thread.
      output = (await this.plugin.call(fn, input))?.bytes().slice() ?? new Uint8Array(0);
    } catch (error) {
      failure = error;
    }
    const resources: CallResources = {
      wall_ms: performance.now() - started,
      fuel_used: this.meter.fuelUsed(),
      memory_pages: pagesOf(this.memory),
      host_calls: this.meter.hostCalls,
    };
    await this.plugin.reset();
    if (failure !== undefined || this.meter.fuelExhausted || this.meter.hostCallLimitHit) {
      const error = this.classify(failure);
      return { ok: false, error, resources, recycle: error.code !== 'plugin_error' };
    }
    const pages = resources.memory_pages ?? 0;
    const recycle = pages > this.initialPages && pages >= nearCap(limits);
    if (output!.length > limits.maxOutputBytes) {
      const message = `the output has ${output!.length} bytes, more than the ${limits.maxOutputBytes} allowed`;
      return { ok: false, error: { code: 'output_too_large', message }, resources, recycle };
    }
    return { ok: true, output: output!, resources, recycle };
  }

  async close(): Promise<void> {
    await this.plugin.close();
  }

  private classify(error: unknown): WorkerFailure {
    if (this.meter.fuelExhausted)
      return { code: 'cpu_limit', message: 'the call spent its fuel (CPU budget)' };
    if (this.meter.hostCallLimitHit)
      return { code: 'host_call_limit', message: 'the call made more host calls than allowed' };
    const message = errorMessage(error);
    if (error instanceof RangeError && message.includes('Maximum call stack size exceeded'))
      return { code: 'stack_overflow', message: 'the plugin recursed past the stack limit' };
    if (this.log.memoryLimitHit || message.includes('memory limit exceeded'))
      return { code: 'memory_limit', message: `the plugin exceeded its memory limit (${message})` };
    if (message.startsWith(PLUGIN_ERROR_PREFIX))
      return { code: 'plugin_error', message: message.slice(PLUGIN_ERROR_PREFIX.length) };
    if (error instanceof WebAssembly.RuntimeError)
      return { code: 'trap', message: `the plugin trapped: ${message}` };
    return { code: 'runtime_failure', message };
  }
}

const pagesOf = (memory: WebAssembly.Memory | undefined) =>
  memory ? memory.buffer.byteLength / PAGE_BYTES : null;

const nearCap = (limits: CallLimits) => Math.floor(limits.maxMemoryPages * RECYCLE_AT_CAP_FRACTION);

/** The module's start function, metered like a call (the instrumentation deferred it). */
async function runStartFunction(
  plugin: Plugin,
  start: WebAssembly.ExportValue | undefined,
  meter: CallMeter,
  limits: CallLimits,
): Promise<void> {
  if (typeof start !== 'function') return;
  meter.begin(limits);
  try {
    (start as () => void)();
  } catch (error) {
    await plugin.close();
    if (meter.fuelExhausted)
      throw new SandboxError('cpu_limit', 'the start function spent its fuel');
    throw new SandboxError('trap', `the start function failed: ${errorMessage(error)}`);
  }
}
