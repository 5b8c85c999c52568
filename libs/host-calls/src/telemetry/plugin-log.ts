import type { HostEnvironment } from '@convergio/sandbox';
import { isLogLevel, LINE_DROPPED, prepareLogMessage, type LogLevel } from '@convergio/policy';
import { hostError, OK } from '../host-call-result.js';
import { allow, defineHostFunction } from '../host-function-definition.js';
import { decodeLogInput } from './log-input.js';
import { takeToken, workerRateLimiter, type RateLimiter } from './rate-limiter.js';

const DROPPED = Object.freeze({ ok: false as const, dropped: true as const });

/**
 * What `log` hands to `env.emit('log', …)`. The runtime's `onLog` names the plugin version that
 * logged it: each line does not carry it (a plugin may log on every host call).
 */
export interface LogPayload {
  level: LogLevel;
  message: string;
  truncated?: true;
  /** Lines of this plugin dropped by the rate limit since the previous line that went through. */
  dropped_before?: number;
}

const workerLogLimiter = workerRateLimiter();

/** The `log` function bound to one plugin, with the limiter it counts against. */
export interface LogBound {
  env: HostEnvironment;
  limiter: RateLimiter;
}

/**
 * `log {level: 'debug'|'info'|'warn'|'error', message}` → `{ok: true}`, or `{ok: false,
 * dropped: true}` when the plugin exceeds policy.logLinesPerSecond. Needs no grant. The
 * message is stripped of control characters (except newline and tab), redacted like
 * telemetry and capped at policy.maxLogBytes (marked `…[truncated]`). `limiter` is injectable for tests.
 */
export const logFunction = (limiter: RateLimiter = workerLogLimiter) =>
  defineHostFunction<LogBound, { level: LogLevel; message: string }>({
    capability: null,
    target: () => '',
    bind: (env) => ({ env, limiter }),
    admit: () => null,
    parse: (input) => {
      const { level, message } = (input ?? {}) as { level?: unknown; message?: unknown };
      if (!isLogLevel(level))
        return hostError('invalid_input', 'level must be debug, info, warn or error');
      if (typeof message !== 'string')
        return hostError('invalid_input', 'message must be a string');
      return { level, message };
    },
    decide: allow,
    run: (line, bound) => writeLine(line, bound),
    decodeInput: decodeLogInput,
  });

function writeLine(
  { level, message }: { level: LogLevel; message: string },
  { env, limiter }: LogBound,
): unknown {
  // The limit is taken before any work on the message: a flood costs one map lookup a line.
  const droppedBefore = takeToken(limiter, env.plugin.id, env.policy.logLinesPerSecond);
  if (droppedBefore === LINE_DROPPED) return DROPPED;

  const prepared = prepareLogMessage(message, env.policy.maxLogBytes, env.releasedSecrets());
  if (!prepared.truncated && droppedBefore === 0) {
    env.emitLogLine(level, prepared.message);
    return OK;
  }
  const payload: LogPayload = { level, message: prepared.message };
  if (prepared.truncated) payload.truncated = true;
  if (droppedBefore > 0) payload.dropped_before = droppedBefore;
  env.emit('log', payload);
  return OK;
}
