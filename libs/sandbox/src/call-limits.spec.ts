import { capLimits, validateLimits, type CallLimits } from './call-limits.js';

const defaults: CallLimits = {
  wallTimeMs: 1000,
  fuel: 1e9,
  maxMemoryPages: 256,
  maxHostCalls: 100,
  maxOutputBytes: 1024,
};

describe('call limits', () => {
  it('lets a plugin lower a limit but never raise one', () => {
    expect(capLimits(defaults, { wallTimeMs: 50, fuel: 1e12 })).toEqual({
      ...defaults,
      wallTimeMs: 50,
    });
  });

  it.each([
    ['wallTimeMs', 0],
    ['fuel', -1],
    ['maxHostCalls', 1.5],
    ['maxOutputBytes', Number.NaN],
    ['maxMemoryPages', 65537],
  ])('refuses %s = %s', (key, value) => {
    expect(() => validateLimits({ ...defaults, [key]: value })).toThrow(RangeError);
  });
});
