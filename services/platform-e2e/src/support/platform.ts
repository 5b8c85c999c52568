import type { PlatformInfo } from '@convergio/testing';

/** The platform the e2e entry file started. */
export function platform(): PlatformInfo {
  const raw = process.env.CONVERGIO_E2E_PLATFORM;
  if (!raw)
    throw new Error(
      'the platform is not running: run the suite through src/platform.e2e.ts, which starts it',
    );
  return JSON.parse(raw) as PlatformInfo;
}
