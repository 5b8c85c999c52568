import type { HostEnvironment } from '@convergio/sandbox';
import {
  fullLogBucket,
  isLogLevel,
  LINE_DROPPED,
  prepareLogMessage,
  takeLogToken,
  type LogBucket,
  type LogLevel,
} from '@convergio/policy';
import { hostError, OK } from '../host-call-result.js';
import { allow, defineHostFunction } from '../host-function-definition.js';
import { decodeLogInput } from './log-input.js';

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

/** Where the log rate limit keeps its per-plugin buckets, and the clock it reads. */
export interface LogLimiter {
  buckets: Map<string, LogBucket>;
  now: () => number;
}

/**
 * One bucket per plugin id for the life of the worker, even if the host functions are bound
 * again for each call. Monotonic clock: a wall-clock step must not refill the bucket.
 */
const defaultLogLimiter: LogLimiter = { buckets: new Map(), now: () => performance.now() };

/** The `log` function bound to one plugin, with the limiter it counts against. */
export interface LogBound {
  env: HostEnvironment;
  limiter: LogLimiter;
}

/**
 * `log {level: 'debug'|'info'|'warn'|'error', message}` → `{ok: true}`, or `{ok: false,
 * dropped: true}` when the plugin exceeds policy.logLinesPerSecond. Needs no grant. The
 * message is stripped of control characters (except newline and tab), redacted like
 * telemetry and capped at policy.maxLogBytes (marked `…[truncated]`). `limiter` is injectable for tests.
 */
export const logFunction = (limiter: LogLimiter = defaultLogLimiter) =>
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
  const rate = env.policy.logLinesPerSecond;
  const now = limiter.now();
  let bucket = limiter.buckets.get(env.plugin.id);
  if (bucket === undefined) limiter.buckets.set(env.plugin.id, (bucket = fullLogBucket(now, rate)));
  const droppedBefore = takeLogToken(bucket, now, rate);
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
