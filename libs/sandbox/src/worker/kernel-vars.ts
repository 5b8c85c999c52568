import { KernelFault } from './kernel-fault.js';

/** Bytes all Extism vars of an instance may hold, keys, values and overhead included. */
export const MAX_VAR_BYTES = 1 << 20;
// What a var costs besides its key and value bytes, so that a flood of empty vars is bounded too.
const ENTRY_OVERHEAD_BYTES = 64;

/**
 * Extism vars: bytes by key that outlive a call (not an instance). Keys and values both count
 * against `maxBytes` (the SDK counted values only, so empty values with huge keys were free).
 */
export class KernelVars {
  private readonly vars = new Map<string, Uint8Array>();
  private used = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: Uint8Array): Uint8Array | undefined {
    return this.vars.get(keyOf(key));
  }

  /** Sets (a copy of) `value`, or deletes the var when `value` is null. */
  set(key: Uint8Array, value: Uint8Array | null): void {
    const name = keyOf(key);
    const previous = this.vars.get(name);
    const freed = previous ? cost(key, previous) : 0;
    if (value === null) {
      this.vars.delete(name);
      this.used -= freed;
      return;
    }
    const total = this.used - freed + cost(key, value);
    if (total > this.maxBytes)
      throw new KernelFault(
        'memory_limit',
        `vars would hold ${total} bytes, more than the ${this.maxBytes} allowed`,
      );
    this.vars.set(name, value.slice());
    this.used = total;
  }
}

// latin1 maps each byte to one character and back: distinct byte keys stay distinct.
const keyOf = (key: Uint8Array) =>
  Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1');

const cost = (key: Uint8Array, value: Uint8Array) =>
  key.length + value.length + ENTRY_OVERHEAD_BYTES;
