/**
 * A full garbage collection of the calling thread's heap, where the process runs with
 * `--expose-gc` (sandbox processes do, see sandboxMemoryBudget); undefined elsewhere. Wasm
 * memories and ArrayBuffers nothing refers to are only given back by a collection.
 */
export const collectGarbage: (() => void) | undefined =
  typeof globalThis.gc === 'function' ? () => void globalThis.gc?.() : undefined;
