import type { ErrorDetail } from '@convergio/contracts';
import type { CallResources } from './call-limits.js';
import type { SandboxErrorCode } from '@convergio/contracts';

/** Stable codes of {@link SandboxError} (SANDBOX_ERROR_CODES in contracts, where each is described). */
export type { SandboxErrorCode };

/** A typed failure of the Wasm sandbox; call failures carry what the call consumed. */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';

  constructor(
    readonly code: SandboxErrorCode,
    message: string,
    /** Resources used by the failed call; absent for load failures. */
    readonly resources?: CallResources,
    /** Each problem of an `input_invalid` input, with where it is. */
    readonly details?: ErrorDetail[],
  ) {
    super(message);
  }
}
