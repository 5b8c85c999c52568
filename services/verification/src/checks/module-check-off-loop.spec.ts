// A module's content check (parse, profile, compile: seconds for 16 MiB) runs off the service's
// event loop (docs/adr/0020): in standalone mode that loop also answers /healthz and every other
// service's requests.
import { aManifest, sha256Hex } from '@convergio/testing';
import type { ServiceHarness } from '@convergio/service-testing';
import { codesOf, startVerification, verdictOn } from '../verification.spec-helper.js';

/** A valid module of about `bytes` of code: functions of 60,000 `nop`, the first exported as `run`. */
function moduleOfNops(bytes: number): Uint8Array {
  const leb = (n: number): number[] =>
    n < 0x80 ? [n] : [(n % 0x80) | 0x80, ...leb(Math.floor(n / 0x80))];
  const section = (id: number, payload: Buffer) =>
    Buffer.concat([Buffer.from([id, ...leb(payload.length)]), payload]);
  const body = Buffer.alloc(1 + 60_000 + 1, 0x01);
  body[0] = 0; // no locals
  body[body.length - 1] = 0x0b;
  const sized = Buffer.concat([Buffer.from(leb(body.length)), body]);
  const count = Math.floor(bytes / sized.length);
  return Buffer.concat([
    Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
    section(1, Buffer.from([1, 0x60, 0, 0])),
    section(3, Buffer.from([...leb(count), ...new Array<number>(count).fill(0)])),
    section(7, Buffer.from([1, 3, ...Buffer.from('run'), 0, 0])),
    section(10, Buffer.concat([Buffer.from(leb(count)), ...new Array<Buffer>(count).fill(sized)])),
  ]);
}

describe('module checks off the event loop', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startVerification();
  });
  afterAll(() => h?.close());

  it('keeps answering other work while a 16 MiB module is checked', async () => {
    const module = moduleOfNops(16 * 1024 * 1024 - 1024);
    await h.artifacts.put(module);
    const manifest = aManifest({ id: 'large-module' }, module);
    // A bystander: a timer turn of this event loop every millisecond, noting the longest wait.
    let last = performance.now();
    let longestWait = 0;
    const turn = () => {
      const now = performance.now();
      longestWait = Math.max(longestWait, now - last);
      last = now;
    };
    const bystander = setInterval(turn, 1);
    const started = performance.now();
    const verdict = await verdictOn(h, manifest, module);
    const checkMs = performance.now() - started;
    clearInterval(bystander);
    turn();
    expect(sha256Hex(module)).toBe(manifest.signing.sha256);
    expect(codesOf(verdict).filter((c) => c.startsWith('module_'))).toEqual([]);
    // Answered throughout the check: no turn of the bystander waited for the check. On its own
    // event loop the check held every turn back for most of its duration.
    expect(longestWait).toBeLessThan(checkMs / 2);
  }, 120_000);
});
