import { bindHostFunctions } from '../dispatch.js';
import { expectDenied, fakeHost, type FakeHost } from './fake-host-environment.spec-helper.js';
import { createFsFixture, type FsFixture } from './fs-fixture.spec-helper.js';

let fx: FsFixture;
beforeAll(async () => {
  fx = await createFsFixture();
});
afterAll(() => fx.close());

function readWith(
  paths: string[],
  input: unknown,
  maxFileBytes = 1024,
): { host: FakeHost; result: unknown } {
  const host = fakeHost({ grants: { 'fs.read': { paths } }, policy: { maxFileBytes } });
  return { host, result: bindHostFunctions(host.env).fs_read(input) };
}

describe('fs_read', () => {
  it('reads a file inside the grant', () => {
    const { host, result } = readWith([fx.allowed], { path: `${fx.allowed}/a.txt` });
    expect(result).toEqual({ content: 'hello', size: 5 });
    expect(host.denials).toEqual([]);
  });

  it('reads in base64', () => {
    expect(
      readWith([fx.allowed], { path: `${fx.allowed}/a.txt`, encoding: 'base64' }).result,
    ).toEqual({
      content: Buffer.from('hello').toString('base64'),
      size: 5,
    });
  });

  it('follows a symlink that stays inside the grant', () => {
    expect(readWith([fx.allowed], { path: `${fx.allowed}/inner-link` }).result).toEqual({
      content: 'hello',
      size: 5,
    });
  });

  it('resolves a grant that points through a symlink, and accepts both spellings', () => {
    const grant = `${fx.root}/grant-link`;
    expect(readWith([grant], { path: `${grant}/a.txt` }).result).toEqual({
      content: 'hello',
      size: 5,
    });
    expect(readWith([grant], { path: `${fx.allowed}/sub/b.txt` }).result).toEqual({
      content: 'inside',
      size: 6,
    });
  });

  it('answers not_found for a missing file inside the grant, without a denial', () => {
    const outcome = readWith([fx.allowed], { path: `${fx.allowed}/nope.txt` });
    expect(outcome.result).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    expect(outcome.host.denials).toEqual([]);
  });

  describe('attacks', () => {
    it.each([
      ['relative traversal', '../../etc/passwd', 'absolute'],
      ['relative path', 'a.txt', 'absolute'],
      ['dot-dot inside an absolute path', '/ALLOWED/../outside/secret.txt', '".."'],
      ['dot-dot past the root', '/ALLOWED/../../../../etc/passwd', '".."'],
      ['NUL byte truncation', '/ALLOWED/a.txt\u0000../../etc/passwd', 'NUL'],
      ['backslash traversal', '/ALLOWED\\..\\outside\\secret.txt', 'backslash'],
    ])('%s: %j', (_name, raw, reason) => {
      const path = raw.replace('/ALLOWED', fx.allowed);
      const target = path.replace('\u0000', '\\u0000');
      expectDenied(readWith([fx.allowed], { path }), 'fs.read', target, reason);
    });

    it.each([
      ['percent-encoded dot-dot', '/%2e%2e/%2e%2e/outside/secret.txt'],
      ['percent-encoded slashes', '/..%2f..%2foutside%2fsecret.txt'],
      ['overlong UTF-8', '/%c0%ae%c0%ae/outside/secret.txt'],
    ])('%s is a literal (missing) name inside the grant, never a way out', (_name, suffix) => {
      const outcome = readWith([fx.allowed], { path: fx.allowed + suffix });
      expect(outcome.result).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    });

    it('a path nested 20,000 arrays deep is denied and recorded, not an internal error', () => {
      let path: unknown = [];
      for (let i = 0; i < 20_000; i++) path = [path];
      expectDenied(
        readWith([fx.allowed], { path }),
        'fs.read',
        '(a JSON value nested deeper than 32 levels)',
      );
    });

    it('"//etc/passwd" is /etc/passwd, outside the grant', () => {
      expectDenied(
        readWith([fx.allowed], { path: '//etc//passwd' }),
        'fs.read',
        '/etc/passwd',
        'outside',
      );
    });

    it('prefix confusion: /allowed-evil is not inside /allowed', () => {
      const path = `${fx.root}/allowed-evil/secret.txt`;
      expectDenied(readWith([fx.allowed], { path }), 'fs.read', path, 'outside');
    });

    it.each([
      ['a symlink to /etc', 'to-etc/passwd'],
      ['a symlink to a file outside', 'to-outside'],
      ['a symlinked directory outside', 'to-outside-dir/secret.txt'],
    ])('symlink escape through %s', (_name, rel) => {
      const path = `${fx.allowed}/${rel}`;
      expectDenied(readWith([fx.allowed], { path }), 'fs.read', path, 'resolves outside');
    });

    it('a symlink to a missing file outside is refused exactly like one to an existing file (no oracle)', () => {
      for (const rel of ['dangling', 'dangling-dir/x', 'to-outside-dir/not-there']) {
        const path = `${fx.allowed}/${rel}`;
        expectDenied(readWith([fx.allowed], { path }), 'fs.read', path);
      }
    });

    it('a missing file outside the grant is refused, not reported missing', () => {
      expectDenied(
        readWith([fx.allowed], { path: '/etc/definitely-not-here' }),
        'fs.read',
        '/etc/definitely-not-here',
        'outside',
      );
    });

    it('/proc/self/environ is refused even with fs.read of /', () => {
      expectDenied(
        readWith(['/'], { path: '/proc/self/environ' }),
        'fs.read',
        '/proc/self/environ',
        '/proc',
      );
    });

    it('/proc/self/environ is refused through a symlink inside the grant', () => {
      const path = `${fx.allowed}/env-link`;
      expectDenied(readWith([fx.allowed], { path }), 'fs.read', path, '/proc');
    });

    it.each([[['/']], [['/dev']]])('/dev/zero is refused with fs.read of %j', (paths) => {
      expectDenied(
        readWith(paths, { path: '/dev/zero' }),
        'fs.read',
        '/dev/zero',
        '/proc, /sys or /dev',
      );
    });

    it('/sys is refused with fs.read of /', () => {
      expectDenied(readWith(['/'], { path: '/sys/kernel/notes' }), 'fs.read', '/sys/kernel/notes');
    });

    it('a FIFO is refused (and does not block the worker)', () => {
      const path = `${fx.allowed}/fifo`;
      expectDenied(readWith([fx.allowed], { path }), 'fs.read', path, 'fifo');
    });

    it('a unix socket is refused', () => {
      const path = `${fx.allowed}/sock`;
      expectDenied(readWith([fx.allowed], { path }), 'fs.read', path, 'socket');
    });

    it('a hard link to a file outside is refused', () => {
      const path = `${fx.allowed}/hard`;
      expectDenied(readWith([fx.allowed], { path }), 'fs.read', path, 'hard link');
    });

    it('a file above policy.maxFileBytes is refused', () => {
      const path = `${fx.allowed}/a.txt`;
      expectDenied(readWith([fx.allowed], { path }, 4), 'fs.read', path, 'larger than 4');
    });

    it('a directory is not read as a file', () => {
      expectDenied(
        readWith([fx.allowed], { path: fx.allowed }),
        'fs.read',
        fx.allowed,
        'directory',
      );
    });

    it('without fs.read nothing is read, and fs.write does not imply it', () => {
      const host = fakeHost({ grants: { 'fs.write': { paths: [fx.allowed] } } });
      const path = `${fx.allowed}/a.txt`;
      expectDenied(
        { host, result: bindHostFunctions(host.env).fs_read({ path }) },
        'fs.read',
        path,
        'not granted',
      );
    });

    it.each([[null], [42], [{}], [{ path: 42 }], [{ path: `/x`, encoding: 'hex' }]])(
      'malformed input %j is refused, never thrown',
      (input) => {
        const outcome = readWith(['/x'], input);
        expect(outcome.result).toMatchObject({ error: { code: 'permission_denied' } });
        expect(outcome.host.denials).toHaveLength(1);
      },
    );
  });
});
