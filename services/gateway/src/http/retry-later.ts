import { DomainError, type ErrorCode } from '@convergio/contracts';

/**
 * A refusal that passes with time (429 `rate_limited`, 503 `unavailable`): the gateway's error
 * filter answers it with a `Retry-After` header of {@link retryAfterSeconds} (whole seconds, at
 * least 1).
 */
export class RetryLaterError extends DomainError {
  readonly retryAfterSeconds: number;

  constructor(code: ErrorCode, message: string, retryAfterMs: number) {
    super(code, message);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  }
}
