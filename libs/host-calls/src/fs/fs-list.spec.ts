import { bindHostFunctions } from '../dispatch.js';
import { fakeHost } from './fake-host-environment.spec-helper.js';
import { createFsFixture, type FsFixture } from './fs-fixture.spec-helper.js';

let fx: FsFixture;
beforeAll(async () => {
  fx = await createFsFixture();
});
afterAll(() => fx.close());

function listWith(paths: string[], path: string) {
  const host = fakeHost({ grants: { 'fs.read': { paths } } });
  return { host, result: bindHostFunctions(host.env).fs_list({ path }) };
}

describe('fs_list', () => {
  it('lists entries without following them', () => {
    const { result } = listWith([fx.allowed], fx.allowed);
    const entries = (result as { entries: { name: string; type: string; size: number }[] }).entries;
    const byName = Object.fromEntries(entries.map((e) => [e.name, e]));
    expect(byName['a.txt']).toEqual({ name: 'a.txt', type: 'file', size: 5 });
    expect(byName['sub']).toMatchObject({ type: 'directory', size: 0 });
    expect(byName['to-etc']).toMatchObject({ type: 'symlink', size: 0 });
    expect(byName['fifo']).toMatchObject({ type: 'other' });
    expect(byName['sock']).toMatchObject({ type: 'other' });
  });

  it.each([
    ['/proc under a grant of /', ['/'], '/proc', '/proc'],
    ['/dev under a grant of /', ['/'], '/dev', '/proc, /sys or /dev'],
    ['a symlink to /etc', ['ALLOWED'], 'ALLOWED/to-etc', 'outside'],
    ['prefix confusion', ['ALLOWED'], 'ROOT/allowed-evil', 'outside'],
    ['a file', ['ALLOWED'], 'ALLOWED/a.txt', 'not a directory'],
    ['a path outside', ['ALLOWED'], 'ROOT/outside', 'outside'],
  ])('refuses %s', (_name, grants, rawPath, reason) => {
    const fix = (s: string) => s.replace('ALLOWED', fx.allowed).replace('ROOT', fx.root);
    const path = fix(rawPath);
    const { host, result } = listWith(grants.map(fix), path);
    expect(result).toMatchObject({
      error: { code: 'permission_denied', capability: 'fs.read', target: path },
    });
    expect(host.denials).toEqual([
      { capability: 'fs.read', target: path, reason: expect.stringContaining(reason) },
    ]);
  });
});
