import { expectEventually } from './expect-eventually.js';

describe('expectEventually', () => {
  it('returns the result once the check passes', async () => {
    let calls = 0;

    const result = await expectEventually(
      () => {
        calls += 1;
        if (calls < 3) throw new Error('not yet');
        return 'done';
      },
      { intervalMs: 5 },
    );

    expect(result).toBe('done');
    expect(calls).toBe(3);
  });

  it('rethrows the last failure when the timeout passes', async () => {
    await expect(
      expectEventually(
        () => {
          throw new Error('still failing');
        },
        { timeoutMs: 50, intervalMs: 10 },
      ),
    ).rejects.toThrow('not satisfied within 50 ms: still failing');
  });
});
