import { canMove } from './lifecycle.js';

describe('lifecycle', () => {
  it.each([
    ['submitted', 'verified', true],
    ['submitted', 'approved', true],
    ['pending_approval', 'approved', true],
    ['verified', 'pending_approval', true],
    ['pending_approval', 'verified', false],
    ['approved', 'revoked', true],
    ['approved', 'verified', false],
    ['rejected', 'approved', false],
    ['revoked', 'approved', false],
    ['approved', 'approved', false],
  ] as const)('%s -> %s allowed: %s', (from, to, allowed) => {
    expect(canMove(from, to)).toBe(allowed);
  });
});
