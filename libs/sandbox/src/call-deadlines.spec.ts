import { CallDeadlines } from './call-deadlines.js';

const WALL_MS = 60;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the milliseconds from `watch` to expiry, or 'released' once released. */
function watched(deadlines: CallDeadlines) {
  const started = performance.now();
  let release!: () => void;
  const ended = new Promise<number | 'released'>((resolve) => {
    const stopWatching = deadlines.watch(() => resolve(performance.now() - started));
    release = () => {
      stopWatching();
      resolve('released');
    };
  });
  return { ended, release };
}

describe('CallDeadlines', () => {
  it('expires a call still running at its deadline, not before', async () => {
    const deadlines = new CallDeadlines(WALL_MS);
    const elapsed = await watched(deadlines).ended;
    expect(elapsed).toBeGreaterThanOrEqual(WALL_MS - 1);
    expect(elapsed).toBeLessThan(WALL_MS * 4);
  });

  it('never expires a call that ended in time', async () => {
    const deadlines = new CallDeadlines(WALL_MS);
    let expired = false;
    const release = deadlines.watch(() => (expired = true));
    release();
    await sleep(WALL_MS * 2);
    expect(expired).toBe(false);
  });

  it('gives a call started while the timer was armed for an earlier one its full wall time', async () => {
    const deadlines = new CallDeadlines(WALL_MS);
    const first = watched(deadlines);
    await sleep(WALL_MS / 2);
    first.release();
    const second = watched(deadlines); // the timer still fires at the first call's deadline
    expect(await first.ended).toBe('released');
    expect(await second.ended).toBeGreaterThanOrEqual(WALL_MS - 1);
  });

  it('expires each of several running calls at its own deadline', async () => {
    const deadlines = new CallDeadlines(WALL_MS);
    const first = watched(deadlines);
    await sleep(WALL_MS / 3);
    const second = watched(deadlines);
    const [a, b] = await Promise.all([first.ended, second.ended]);
    expect(a).toBeGreaterThanOrEqual(WALL_MS - 1);
    expect(b).toBeGreaterThanOrEqual(WALL_MS - 1);
  });

  it('expires nothing once stopped', async () => {
    const deadlines = new CallDeadlines(WALL_MS);
    let expired = false;
    deadlines.watch(() => (expired = true));
    deadlines.stop();
    await sleep(WALL_MS * 2);
    expect(expired).toBe(false);
  });
});
