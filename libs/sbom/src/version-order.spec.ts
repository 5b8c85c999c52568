import { dottedOrder, semverOrder } from './version-order.js';

describe('semverOrder', () => {
  it.each([
    ['1.2.3', '1.2.4', -1],
    ['1.10.0', '1.9.0', 1],
    ['1.0.0-rc.1', '1.0.0', -1],
    ['1.0.0-alpha', '1.0.0-alpha.1', -1],
    ['1.0.0+build.1', '1.0.0+build.2', 0],
    ['v1.3.0', '1.3.0', 0],
  ])('orders %s against %s as %d', (a, b, expected) => {
    expect(Math.sign(semverOrder(a, b) ?? NaN)).toBe(expected);
  });

  it('cannot order what is not SemVer 2.0', () => {
    expect(semverOrder('1.2', '1.2.0')).toBeUndefined();
    expect(semverOrder('1.2.0', 'latest')).toBeUndefined();
  });
});

describe('dottedOrder (PyPI, Maven, NuGet, RubyGems, Packagist)', () => {
  it.each([
    ['1.0', '1.0.0', 0],
    ['1.0', '1.0.1', -1],
    ['1.10', '1.9', 1],
    ['2.0.0', '10.0.0', -1],
    ['1.0rc1', '1.0', -1],
    ['1.0a1', '1.0b1', -1],
    ['1.0b2', '1.0rc1', -1],
    ['1.0.dev1', '1.0a1', -1],
    ['1.0', '1.0.post1', -1],
    ['1.0.post1', '1.0.1', -1],
    ['1.0-SNAPSHOT', '1.0', -1],
    ['1.0.Final', '1.0', 0],
    ['5.1b1', '5.3.1', -1],
    ['000123', '123', 0],
    ['99999999999999999999999', '99999999999999999999998', 1],
    ['1.0-foo', '1.0', -1],
    ['1.0-constructor', '1.0-bar', 1],
  ])('orders %s against %s as %d', (a, b, expected) => {
    expect(Math.sign(dottedOrder(a, b) ?? NaN)).toBe(expected);
    expect(Math.sign(dottedOrder(b, a) ?? NaN)).toBe(-expected || 0);
  });
});
