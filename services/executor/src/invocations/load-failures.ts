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
