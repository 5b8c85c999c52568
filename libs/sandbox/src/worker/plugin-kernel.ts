import type { CallMeter } from './call-meter.js';
import { KernelFault } from './kernel-fault.js';
import { KernelMemory } from './kernel-memory.js';
import { KernelVars } from './kernel-vars.js';

/**
 * Extism binds the CallContext as the first argument of every import; the kernel ignores it.
 * No kernel function takes more than two arguments.
 */
type KernelFunction = (context: unknown, a?: unknown, b?: unknown) => unknown;
/** An implementation, typed by the arguments its Wasm signature (KERNEL_SIGNATURES) guarantees. */
type Implementation = (...args: never[]) => unknown;

/** What the kernel needs from its worker. */
export interface KernelOptions {
  /** Bytes all Extism vars of the instance may hold, keys included. */
  maxVarBytes: number;
  /** The `log` host function of the plugin's table, which limits, caps and redacts; absent: lines are dropped. */
  log?: (input: unknown) => unknown;
  /**
   * Bytes of a log message's block to decode: all the `log` function can keep (see
   * logMessageHeadBytes), so a message of megabytes costs what a capped one does.
   */
  logHeadBytes: () => number;
  /** Reclaims dropped blocks when they would pass the cap (see KernelMemory); absent: not counted. */
  collectGarbage?: () => void;
}

/** What a call left in the kernel. */
export interface KernelCallEnd {
  /** The bytes `output_set` named (a copy), empty if none or if longer than allowed. */
  output: Uint8Array;
  /** How many bytes `output_set` named (0 if none). */
  outputLength: number;
  /** The text of the block `error_set` named, or null. */
  error: string | null;
  fault: KernelFault | undefined;
  /** Allocations (the plugin's or the host's) refused for the memory cap. */
  refusals: number;
}

// The SDK's log priorities; debug is what plugins get to log (trace lines count as debug).
const DEBUG_PRIORITY = 1;
/**
 * Bytes of an `error_set` text kept: it travels to the caller in the refusal, and a plugin could
 * otherwise hand 16 MiB of error to each call of a batch (100 calls: 1.6 GiB in the executor).
 */
export const MAX_ERROR_BYTES = 4096;
const LOG_LEVELS = {
  log_trace: 'debug',
  log_debug: 'debug',
  log_info: 'info',
  log_warn: 'warn',
  log_error: 'error',
} as const;

/**
 * The sandbox's implementation of the Extism kernel (`extism:host/env`, which the loader routes
 * to SANDBOX_KERNEL_NAMESPACE). Calls that create or keep host-side state or reach the operator
 * (alloc, config_get, var_get, var_set, log_*) count as host calls; byte loads and stores,
 * input reads, length, free and output/error setting are bounded by the blocks and by fuel.
 */
export class PluginKernel {
  readonly memory: KernelMemory;
  private readonly vars: KernelVars;
  private input = 0n;
  private output: { address: bigint; length: bigint } | null = null;
  private error: bigint | null = null;
  private fault: KernelFault | undefined;

  constructor(
    private readonly meter: CallMeter,
    private readonly options: KernelOptions,
  ) {
    this.vars = new KernelVars(options.maxVarBytes);
    this.memory = new KernelMemory(options.collectGarbage);
  }

  /** Starts a call: fresh blocks under a cap of `capBytes`, the input in the first one. */
  begin(input: Uint8Array, capBytes: number): void {
    this.memory.reset(capBytes);
    this.input = this.memory.adopt(input);
    this.output = null;
    this.error = null;
    this.fault = undefined;
  }

  /** Ends a call: takes its output (unless longer than `maxOutputBytes`) and error, then drops every block. */
  end(maxOutputBytes: number): KernelCallEnd {
    const outputLength =
      this.output && this.memory.block(this.output.address) ? this.output.length : 0n;
    const result: KernelCallEnd = {
      output: outputLength <= BigInt(maxOutputBytes) ? this.takeOutput() : new Uint8Array(0),
      outputLength: Number(outputLength),
      error: this.error === null ? null : this.errorText(this.error),
      fault: this.fault,
      refusals: this.memory.refusals,
    };
    this.memory.reset(0);
    return result;
  }

  /** The text of the error block, its first MAX_ERROR_BYTES when longer, saying so. */
  private errorText(address: bigint): string {
    const text = this.memory.text(address, MAX_ERROR_BYTES) ?? '';
    const length = Number(this.memory.length(address));
    return length > MAX_ERROR_BYTES
      ? `${text}... (cut: the error has ${length} bytes, the first ${MAX_ERROR_BYTES} are kept)`
      : text;
  }

  /** The import object for SANDBOX_KERNEL_NAMESPACE. */
  imports(): Record<string, KernelFunction> {
    const m = this.memory;
    const functions: Record<string, Implementation> = {
      alloc: this.counted('alloc', (size: bigint) => m.alloc(size)),
      free: (address: bigint) => m.free(address),
      length: (address: bigint) => m.length(address),
      length_unsafe: (address: bigint) => m.length(address),
      load_u8: (address: bigint) => m.loadU8(address),
      load_u64: (address: bigint) => m.loadU64(address),
      store_u8: (address: bigint, value: number) => m.storeU8(address, value),
      store_u64: (address: bigint, value: bigint) => m.storeU64(address, value),
      input_offset: () => this.input,
      input_length: () => m.length(this.input),
      input_load_u8: (offset: bigint) => m.loadU8(this.inputAddress(offset)),
      input_load_u64: (offset: bigint) => m.loadU64(this.inputAddress(offset)),
      output_set: (address: bigint, length: bigint) => {
        m.bytes(address, length); // traps unless inside one block (a negative length too)
        this.output = { address, length: BigInt.asUintN(64, length) };
      },
      error_set: (address: bigint) => {
        if (!m.block(address)) throw new KernelFault('trap', 'error_set names no block');
        this.error = address;
      },
      error_get: () => this.error ?? 0n,
      config_get: this.counted('config_get', (key: bigint) => {
        // Plugins get no Extism config (settings reach them as input); the key is consumed.
        m.free(key);
        return 0n;
      }),
      var_get: this.counted('var_get', (key: bigint) => this.varGet(key)),
      var_set: this.counted('var_set', (key: bigint, value: bigint) => this.varSet(key, value)),
      get_log_level: () => DEBUG_PRIORITY,
    };
    for (const [name, level] of Object.entries(LOG_LEVELS))
      functions[name] = this.counted(name, (address: bigint) => this.log(level, address));
    return Object.fromEntries(
      Object.entries(functions).map(([name, fn]) => [name, this.guarded(fn)]),
    );
  }

  // Once faulted, every kernel call faults again: a plugin that caught the first cannot go on.
  // Fixed parameters, not rest ones: a kernel call (one per byte a plugin loads) allocates nothing.
  private guarded(fn: Implementation): KernelFunction {
    const call = fn as (a?: unknown, b?: unknown) => unknown;
    return (_context, a, b) => {
      if (this.fault) throw this.fault;
      try {
        return call(a, b);
      } catch (error) {
        if (error instanceof KernelFault) this.fault = error;
        throw error;
      }
    };
  }

  private counted<A, B, R>(name: string, fn: (a: A, b: B) => R): (a: A, b: B) => R {
    return (a, b) => {
      if (!this.meter.enterHostCall())
        throw new KernelFault(
          'host_call_limit',
          `the call made more host calls than allowed (at ${name})`,
        );
      return fn(a, b);
    };
  }

  // Extism reads the input by offset alone, whatever the index bits say.
  private inputAddress(offset: bigint): bigint {
    return this.input | (BigInt.asUintN(64, offset) & ((1n << 48n) - 1n));
  }

  private takeOutput(): Uint8Array {
    if (!this.output || !this.memory.block(this.output.address)) return new Uint8Array(0);
    return this.memory.bytes(this.output.address, this.output.length).slice();
  }

  private varGet(key: bigint): bigint {
    const name = this.memory.block(key);
    if (!name) return 0n;
    const value = this.vars.get(name);
    this.memory.free(key);
    return value ? this.memory.store(value) : 0n;
  }

  private varSet(key: bigint, value: bigint): void {
    const name = this.memory.block(key);
    if (!name) return;
    if (value === 0n) return this.vars.set(name, null);
    const bytes = this.memory.block(value);
    if (bytes) this.vars.set(name, bytes);
  }

  // Same path as the `log` host function: one rate limit, cap, escaping and redaction.
  private log(level: string, address: bigint): void {
    const message = this.memory.text(address, this.options.logHeadBytes());
    if (message === null) throw new KernelFault('trap', 'log names no block');
    this.memory.free(address);
    try {
      this.options.log?.({ level, message });
    } catch {
      // Host functions never throw; if one did, the line is lost, not the call.
    }
  }
}
