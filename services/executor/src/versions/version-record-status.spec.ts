import { canMoveVersion } from './version-record-status.js';

describe('canMoveVersion', () => {
  it.each([
    ['pending', 'approved', true],
    ['pending', 'rejected', true],
    ['pending', 'revoked', true],
    ['approved', 'revoked', true],
    ['rejected', 'revoked', true],
    ['rejected', 'pending', true],
    ['pending', 'pending', false],
    ['approved', 'pending', false],
    ['approved', 'rejected', false],
    ['rejected', 'approved', false],
    ['revoked', 'approved', false],
    ['revoked', 'pending', false],
    ['approved', 'approved', false],
    ['revoked', 'revoked', false],
  ] as const)('%s -> %s allowed: %s', (from, to, allowed) => {
    expect(canMoveVersion(from, to)).toBe(allowed);
  });
});
