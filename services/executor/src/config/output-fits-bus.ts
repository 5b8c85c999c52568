import { ConfigError } from '@convergio/config';
import { REPLY_HEADROOM_BYTES, type BusLimits } from '@convergio/messaging';

/**
 * Refuses at boot an output limit that the bus could never carry: a call's output travels back
 * in one reply, which NATS refuses above its `max_payload`. Nothing to check in process.
 * @throws ConfigError naming EXECUTOR_MAX_OUTPUT_BYTES and the server's max_payload
 */
export function checkOutputFitsBus(maxOutputBytes: number, limits: BusLimits): void {
  if (!limits.enforced || maxOutputBytes <= limits.replyBudget) return;
  throw new ConfigError([
    {
      variable: 'EXECUTOR_MAX_OUTPUT_BYTES',
      expected: `at most ${limits.replyBudget} bytes, so that one call's output fits its reply on the bus (the NATS server's max_payload, ${limits.maxPayload} bytes, less ${REPLY_HEADROOM_BYTES} for the reply around it): lower EXECUTOR_MAX_OUTPUT_BYTES, or raise max_payload in the NATS server configuration`,
      received: String(maxOutputBytes),
    },
  ]);
}
