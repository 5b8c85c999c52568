import type { SandboxErrorCode } from '../sandbox-error.js';

/**
 * A kernel call the plugin may not make (an address outside every live block, vars past their
 * cap, a call past the host-call limit). Thrown into the Wasm code, which cannot go on with a
 * result it does not have, and remembered by the kernel so the call fails even if the plugin
 * catches it.
 */
export class KernelFault extends Error {
  override readonly name = 'KernelFault';

  constructor(
    readonly code: Extract<SandboxErrorCode, 'trap' | 'memory_limit' | 'host_call_limit'>,
    message: string,
  ) {
    super(message);
  }
}
