import { deadline, failureCode, Stopped } from './deadline.js';

describe('failureCode', () => {
  const lost = Object.assign(new Error('queryA ETIMEOUT never.test'), { code: 'ETIMEOUT' });

  it('calls a failure before the deadline a network error', () => {
    const limit = deadline(60_000, new AbortController().signal);
    expect(failureCode(lost, limit)).toEqual({
      code: 'network_error',
      message: 'network error: ETIMEOUT',
    });
    limit.dispose();
  });

  // The detail may name what the plugin sent: a released value at the cut is then still found.
  it('marks where it cuts a long detail', () => {
    const limit = deadline(60_000, new AbortController().signal);
    const { message } = failureCode(new Error(`bad host ${'h'.repeat(400)}`), limit);
    expect(message).toBe(`network error: bad host ${'h'.repeat(285 - 9)}…`);
    limit.dispose();
  });

  // A resolver given the remaining time gives up at the deadline, maybe before its timer fires.
  it('calls a failure at or past the deadline a timeout, though its timer has not fired', () => {
    const limit = { signal: new AbortController().signal, remainingMs: () => 0 };
    expect(failureCode(lost, limit)).toMatchObject({ code: 'timeout' });
  });

  it("says which stopped it when the deadline's signal did: its timeout or the call's end", async () => {
    const outer = new AbortController();
    const ended = deadline(60_000, outer.signal);
    outer.abort();
    expect(failureCode(lost, ended)).toMatchObject({ code: 'aborted' });
    const timed = deadline(1, new AbortController().signal);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(failureCode(lost, timed)).toMatchObject({ code: 'timeout' });
    expect(
      failureCode(new Stopped('aborted'), {
        ...timed,
        signal: new AbortController().signal,
        remainingMs: () => 5,
      }),
    ).toMatchObject({ code: 'aborted' });
    ended.dispose();
    timed.dispose();
  });
});
