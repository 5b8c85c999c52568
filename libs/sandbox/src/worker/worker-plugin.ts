import createPlugin, { type Plugin } from '@extism/extism';
import type { CallLimits, CallResources } from '../call-limits.js';
import { errorMessage } from '../error-message.js';
import type { HostFunctionTable } from '../host-api.js';
import { FUEL_GLOBAL_EXPORT, START_EXPORT } from '../instrument-fuel.js';
import { SANDBOX_KERNEL_NAMESPACE } from '../kernel-imports.js';
import { HOST_NAMESPACE } from '../module-imports.js';
import type { PluginLogSink } from '../plugin-log-sink.js';
import type { WorkerCallOutcome } from '../sandbox-plugin.js';
import { SandboxError } from '../sandbox-error.js';
import type { WorkerFailure } from '../worker-protocol.js';
import { CallMeter } from './call-meter.js';
import { collectGarbage } from './collect-garbage.js';
import { MAX_VAR_BYTES } from './kernel-vars.js';
import { toExtismFunctions } from './host-table.js';
import { PluginKernel, type KernelCallEnd } from './plugin-kernel.js';

const PAGE_BYTES = 65536;
const RECYCLE_AT_CAP_FRACTION = 0.875;
const NO_INPUT = new Uint8Array(0);

/** What one call produced inside the worker: an outcome whose resources were always counted. */
export type CallOutcome = WorkerCallOutcome & { resources: CallResources };

/** The Extism plugin of a worker (inline mode) with its meter; rebuilt after any trap. */
export class WorkerPlugin {
  private constructor(
    private readonly plugin: Plugin,
    private readonly meter: CallMeter,
    private readonly kernel: PluginKernel,
    private readonly memory: WebAssembly.Memory | undefined,
    // Linear memory after instantiation: a module born near its cap is not recycled for that.
    private readonly initialPages: number,
  ) {}

  /**
   * Instantiates `module`, prepared (prepare-module.ts): its imports checked against the names
   * of `table` and the kernel's, its kernel imports routed to the sandbox's kernel, so no import
   * can fall through to the SDK's own. `logHeadBytes` bounds what the kernel's log_* imports
   * decode of a message (see PluginKernel).
   */
  static async create(
    module: WebAssembly.Module,
    table: HostFunctionTable,
    limits: CallLimits,
    log: PluginLogSink,
    meter: CallMeter,
    logHeadBytes: () => number,
  ): Promise<WorkerPlugin> {
    const kernel = new PluginKernel(meter, {
      maxVarBytes: MAX_VAR_BYTES,
      log: Object.hasOwn(table, 'log') ? table.log : undefined,
      logHeadBytes,
      collectGarbage,
    });
    const plugin = await createPlugin(
      { wasm: [{ module }] },
      {
        useWasi: false,
        runInWorker: false,
        functions: {
          [SANDBOX_KERNEL_NAMESPACE]: kernel.imports(),
          [HOST_NAMESPACE]: toExtismFunctions(table, meter, kernel.memory),
        },
        // The SDK's own kernel and memory are unreachable from the module; its diagnostics remain.
        logLevel: 'warn',
        logger: log.asConsole(),
        memory: { maxPages: 1, maxVarBytes: 1, maxHttpResponseBytes: 0 },
      },
    );
    const exports = (await plugin.getInstance()).exports;
    meter.attach(exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global | undefined);
    await runStartFunction(plugin, exports[START_EXPORT], meter, kernel, limits);
    const memory = Object.values(exports).find((value) => value instanceof WebAssembly.Memory);
    return new WorkerPlugin(plugin, meter, kernel, memory, pagesOf(memory) ?? 0);
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
    this.kernel.begin(input, capBytes(limits));
    const started = performance.now();
    let failure: unknown;
    try {
      // The input, output and error live in the sandbox's kernel, not the SDK's.
      await this.plugin.call(fn);
    } catch (error) {
      failure = error;
    }
    const end = this.kernel.end(limits.maxOutputBytes);
    const resources: CallResources = {
      wall_ms: performance.now() - started,
      fuel_used: this.meter.fuelUsed(),
      memory_pages: pagesOf(this.memory),
      host_calls: this.meter.hostCalls,
    };
    await this.plugin.reset();
    const failed = failure !== undefined || end.fault !== undefined;
    if (failed || this.meter.fuelExhausted || this.meter.hostCallLimitHit)
      return { ok: false, error: this.classify(failure, end), resources, recycle: true };
    const pages = resources.memory_pages ?? 0;
    const recycle = pages > this.initialPages && pages >= nearCap(limits);
    if (end.error !== null)
      return { ok: false, error: { code: 'plugin_error', message: end.error }, resources, recycle };
    if (end.outputLength > limits.maxOutputBytes) {
      const message = `the output has ${end.outputLength} bytes, more than the ${limits.maxOutputBytes} allowed`;
      return { ok: false, error: { code: 'output_too_large', message }, resources, recycle };
    }
    return { ok: true, output: end.output, resources, recycle };
  }

  async close(): Promise<void> {
    await this.plugin.close();
  }

  private classify(error: unknown, end: KernelCallEnd): WorkerFailure {
    if (this.meter.fuelExhausted)
      return { code: 'cpu_limit', message: 'the call spent its fuel (CPU budget)' };
    if (this.meter.hostCallLimitHit)
      return { code: 'host_call_limit', message: 'the call made more host calls than allowed' };
    const message = errorMessage(end.fault ?? error);
    if (error instanceof RangeError && message.includes('Maximum call stack size exceeded'))
      return { code: 'stack_overflow', message: 'the plugin recursed past the stack limit' };
    // A refused allocation answers 0; a call that then fails failed for want of memory.
    if (end.refusals > 0 || end.fault?.code === 'memory_limit')
      return { code: 'memory_limit', message: `the plugin exceeded its memory limit (${message})` };
    if (end.fault) return { code: end.fault.code, message: `the plugin trapped: ${message}` };
    if (error instanceof WebAssembly.RuntimeError)
      return { code: 'trap', message: `the plugin trapped: ${message}` };
    return { code: 'runtime_failure', message };
  }
}

const pagesOf = (memory: WebAssembly.Memory | undefined) =>
  memory ? memory.buffer.byteLength / PAGE_BYTES : null;

const nearCap = (limits: CallLimits) => Math.floor(limits.maxMemoryPages * RECYCLE_AT_CAP_FRACTION);

// Extism blocks get their own cap, the size of the linear-memory cap.
const capBytes = (limits: CallLimits) => limits.maxMemoryPages * PAGE_BYTES;

/** The module's start function, metered like a call (the instrumentation deferred it). */
async function runStartFunction(
  plugin: Plugin,
  start: WebAssembly.ExportValue | undefined,
  meter: CallMeter,
  kernel: PluginKernel,
  limits: CallLimits,
): Promise<void> {
  if (typeof start !== 'function') return;
  meter.begin(limits);
  kernel.begin(NO_INPUT, capBytes(limits));
  try {
    (start as () => void)();
  } catch (error) {
    const { fault } = kernel.end(0);
    await plugin.close();
    if (meter.fuelExhausted)
      throw new SandboxError('cpu_limit', 'the start function spent its fuel');
    if (fault && fault.code !== 'trap')
      throw new SandboxError(fault.code, `the start function failed: ${fault.message}`);
    throw new SandboxError('trap', `the start function failed: ${errorMessage(error)}`);
  }
  kernel.end(0);
}
