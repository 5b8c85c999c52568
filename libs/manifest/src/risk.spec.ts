import { asksForMore, diffPermissions, highRiskPermissions } from './risk.js';

describe('risk', () => {
  it('lists only the high-risk permissions', () => {
    expect(
      highRiskPermissions({
        'fs.read': { paths: ['/data'] },
        'net.http': { rules: [{ host: 'a.com', methods: ['GET'] }] },
        'ui.embed': {},
      }),
    ).toEqual(['net.http']);
  });

  it('sees a widened grant as asking for more, a narrowed set as not', () => {
    const v1 = { 'net.http': { rules: [{ host: 'a.com', methods: ['GET' as const] }] } };
    const wider = {
      'net.http': { rules: [{ host: 'a.com', methods: ['GET' as const, 'POST' as const] }] },
    };
    expect(diffPermissions(v1, wider)).toEqual({ added: [], changed: ['net.http'], removed: [] });
    expect(asksForMore(diffPermissions(v1, wider))).toBe(true);
    expect(asksForMore(diffPermissions(v1, {}))).toBe(false);
    expect(asksForMore(diffPermissions(v1, { 'secrets.read': { ids: ['k'] }, ...v1 }))).toBe(true);
  });

  it('ignores key order when comparing grants', () => {
    const a = {
      'net.http': { rules: [{ host: 'a.com', methods: ['GET' as const], path_prefix: '/x' }] },
    };
    const b = {
      'net.http': { rules: [{ path_prefix: '/x', methods: ['GET' as const], host: 'a.com' }] },
    };
    expect(diffPermissions(a, b).changed).toEqual([]);
  });
});
