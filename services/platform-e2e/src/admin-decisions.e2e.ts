import { tmpdir } from 'node:os';
import { startPlatform } from '@convergio/testing';

/**
 * Admin decisions that hold (issue 11 §1): separation of duties, no silent escalation, revocation
 * on every executor replica at once, and audited API key changes, on a platform with two executor
 * replicas whose operator policy lets signed native code run (proc.exec is denied by default).
 */
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const policy = {
    filesystem: { roots: [{ path: tmpdir(), access: 'read-write' }] },
    permissions: { denied: [] },
  };
  const started = await startPlatform({}, { executor: 2 }, policy);
  process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(started.info);
  stop = started.stop;
}, 120_000);

afterAll(async () => {
  await stop?.();
}, 60_000);

await import('./separation-of-duties.cases.js');
await import('./key-issuer.cases.js');
await import('./escalation.cases.js');
await import('./api-key-events.cases.js');
