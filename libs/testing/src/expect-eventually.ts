/** How long `expectEventually` keeps retrying and how often. */
export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Retries `check` until it stops throwing and returns its result; on timeout rethrows the last failure,
 * so a test waits for asynchronous effects without sleeping a fixed time. The default of 15 s leaves
 * room for a plugin load (a sandbox process start) on a shared 2-core machine.
 */
export async function expectEventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 15_000, intervalMs = 50 }: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() + intervalMs > deadline) {
        throw error instanceof Error
          ? Object.assign(error, {
              message: `not satisfied within ${timeoutMs} ms: ${error.message}`,
            })
          : error;
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
