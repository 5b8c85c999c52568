import { startPlatform } from '@convergio/testing';

// The cases below share this platform; each uses plugin ids of its own.
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  // A fuel budget far beyond the 2 s wall time, so each limit can be tested on its own
  // (plugins ask for less fuel in plugin.json to meet the CPU limit).
  // The sample OSV database of libs/sbom, so that SBOMs are matched against known vulnerabilities.
  const started = await startPlatform({
    EXECUTOR_FUEL: String(Number.MAX_SAFE_INTEGER),
    OSV_DATABASE_DIR: new URL('../../../libs/sbom/osv-sample', import.meta.url).pathname,
  });
  process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(started.info);
  stop = started.stop;
}, 120_000);

afterAll(async () => {
  await stop?.();
}, 60_000);

await import('./journey.cases.js');
await import('./refusals.cases.js');
await import('./ownership.cases.js');
await import('./redelivery.cases.js');
await import('./config.cases.js');
await import('./executor.cases.js');
await import('./attacks.cases.js');
await import('./symlink-race.cases.js');
await import('./observability.cases.js');
await import('./stored-text.cases.js');
await import('./edge-limits.cases.js');
await import('./edge-params.cases.js');
await import('./guidance.cases.js');
await import('./edge-bodies.cases.js');
await import('./edge-http.cases.js');
await import('./hostile-packages.cases.js');
await import('./waits.cases.js');
