import { DomainError } from '@convergio/contracts';
import { SandboxError } from '@convergio/sandbox';

/**
 * Whether a load (or an instance's start) failed through no fault of the plugin: the instance did
 * not get to start within EXECUTOR_WORKER_START_TIMEOUT_MS on a busy machine (`start_timeout`),
 * before any of the plugin's code ran. Such a failure is not charged to the plugin and is tried
 * again; every other one is the plugin's.
 */
export function notPluginsFault(error: unknown): boolean {
  return error instanceof SandboxError && error.code === 'start_timeout';
}

/**
 * A load refused because another sandbox process would take all of them past
 * EXECUTOR_SANDBOX_MEMORY_TOTAL_MB and none that the load may unload is idle (ADR 0022): 503
 * `unavailable` with detail `capacity`, charged to no plugin (nothing of it ran).
 */
export function capacityRefusal(message: string): DomainError {
  return new DomainError('unavailable', `${message}; retry`, [{ code: 'capacity', message }]);
}

/** Whether `error` is a {@link capacityRefusal}. */
export function isCapacityRefusal(error: unknown): boolean {
  return error instanceof DomainError && error.details.some((d) => d.code === 'capacity');
}
