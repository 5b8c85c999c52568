import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PathProtection } from '@convergio/policy';
import { bindHostFunctions } from '../dispatch.js';
import { expectDenied, fakeHost } from './fake-host-environment.spec-helper.js';

/**
 * The platform's own files are refused on every call whatever the grant says (a grant of `/`
 * included), on the path named and on the real path; a plugin's own directory is carved out.
 *   data/admin-key, data/plugin-files/acme.test/notes.txt, data/plugin-files/acme.other/secret
 *   open/readme.txt, open/to-data -> data, open/.env
 */
describe('fs host calls and the platform protected paths', () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'cvg-protected-')));
  const data = join(root, 'data');
  const own = join(data, 'plugin-files', 'acme.test');
  const other = join(data, 'plugin-files', 'acme.other');
  const open = join(root, 'open');
  const protection: PathProtection = { roots: ['/proc', '/sys', '/dev', data], ownDir: own };

  beforeAll(() => {
    for (const d of [own, other, open]) mkdirSync(d, { recursive: true });
    writeFileSync(join(data, 'admin-key'), 'cvg_admin');
    writeFileSync(join(own, 'notes.txt'), 'mine');
    writeFileSync(join(other, 'secret'), "other plugin's");
    writeFileSync(join(open, 'readme.txt'), 'public');
    writeFileSync(join(open, '.env'), 'TOKEN=x');
    symlinkSync(data, join(open, 'to-data'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const withGrants = (paths: string[]) => {
    const host = fakeHost({
      grants: { 'fs.read': { paths }, 'fs.write': { paths } },
      policy: { protection, pluginDir: own },
    });
    return { host, fns: bindHostFunctions(host.env) };
  };

  it('reads an ordinary file and its own directory under a grant of /', () => {
    const { fns } = withGrants(['/']);
    expect(fns.fs_read({ path: join(open, 'readme.txt') })).toMatchObject({ content: 'public' });
    expect(fns.fs_read({ path: join(own, 'notes.txt') })).toMatchObject({ content: 'mine' });
    expect(fns.fs_read({ path: '$PLUGIN_DIR/notes.txt' })).toMatchObject({ content: 'mine' });
  });

  it.each([
    ['the admin key', () => join(data, 'admin-key')],
    ["another plugin's directory", () => join(other, 'secret')],
    ['a symlink into the data directory', () => join(open, 'to-data', 'admin-key')],
    ['a .env file', () => join(open, '.env')],
    ['/proc', () => '/proc/self/environ'],
  ])('refuses %s to fs_read under a grant of /, and records it', (_what, path) => {
    const { host, fns } = withGrants(['/']);
    const target = path();
    expectDenied({ host, result: fns.fs_read({ path: target }) }, 'fs.read', target);
  });

  it('refuses to list or write inside the data directory under a grant of /', () => {
    const listing = withGrants(['/']);
    expectDenied(
      { host: listing.host, result: listing.fns.fs_list({ path: data }) },
      'fs.read',
      data,
    );
    const writing = withGrants(['/']);
    const key = join(data, 'admin-key');
    expectDenied(
      { host: writing.host, result: writing.fns.fs_write({ path: key, content: 'mine now' }) },
      'fs.write',
      key,
    );
  });

  it('does not let $PLUGIN_DIR climb out of the own directory', () => {
    const { host, fns } = withGrants([own]);
    const result = fns.fs_read({ path: '$PLUGIN_DIR/../acme.other/secret' });
    expect(result).toMatchObject({ error: { code: 'permission_denied' } });
    expect(host.denials).toHaveLength(1);
  });
});
