import { fail, succeed, type Outcome } from './outcome.js';

describe('Outcome', () => {
  it('succeed holds the value', () => {
    expect(succeed({ n: 1 })).toEqual({ ok: true, value: { n: 1 } });
  });

  it('fail holds the reason and fits an outcome of any value type', () => {
    const outcome: Outcome<number> = fail('not a number');
    expect(outcome).toEqual({ ok: false, reason: 'not a number' });
  });
});
