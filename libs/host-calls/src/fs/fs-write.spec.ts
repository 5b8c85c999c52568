import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { bindHostFunctions } from '../dispatch.js';
import { expectDenied, fakeHost, type FakeHost } from './fake-host-environment.spec-helper.js';
import { createFsFixture, type FsFixture } from './fs-fixture.spec-helper.js';

let fx: FsFixture;
beforeAll(async () => {
  fx = await createFsFixture();
});
afterAll(() => fx.close());

function writeWith(
  paths: string[],
  input: unknown,
  maxFileBytes = 1024,
): { host: FakeHost; result: unknown } {
  const host = fakeHost({ grants: { 'fs.write': { paths } }, policy: { maxFileBytes } });
  return { host, result: bindHostFunctions(host.env).fs_write(input) };
}

const secretUnchanged = () =>
  expect(readFileSync(`${fx.outside}/secret.txt`, 'utf8')).toBe('SECRET');

const expectDeniedAs = (
  outcome: { host: FakeHost; result: unknown },
  target: string,
  reason: string,
) => expectDenied(outcome, 'fs.write', target, reason);

describe('fs_write', () => {
  it('creates a new file with mode 0600', () => {
    const path = `${fx.allowed}/new.txt`;
    expect(writeWith([fx.allowed], { path, content: 'data' }).result).toEqual({ size: 4 });
    expect(readFileSync(path, 'utf8')).toBe('data');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('replaces, then appends', () => {
    const path = `${fx.allowed}/log.txt`;
    writeWith([fx.allowed], { path, content: 'first line that is long' });
    expect(writeWith([fx.allowed], { path, content: 'one\n' }).result).toEqual({ size: 4 });
    expect(writeWith([fx.allowed], { path, content: 'two\n', append: true }).result).toEqual({
      size: 8,
    });
    expect(readFileSync(path, 'utf8')).toBe('one\ntwo\n');
  });

  it('decodes base64 content', () => {
    const path = `${fx.allowed}/bin`;
    writeWith([fx.allowed], {
      path,
      content: Buffer.from([0, 1, 2, 255]).toString('base64'),
      encoding: 'base64',
    });
    expect([...readFileSync(path)]).toEqual([0, 1, 2, 255]);
  });

  it('answers not_found for a missing directory inside the grant', () => {
    const outcome = writeWith([fx.allowed], { path: `${fx.allowed}/no-dir/x.txt`, content: 'x' });
    expect(outcome.result).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    expect(outcome.host.denials).toEqual([]);
  });

  describe('attacks', () => {
    it('a write outside the allowlist is refused and creates nothing', () => {
      const path = `${fx.outside}/planted.txt`;
      expectDeniedAs(writeWith([fx.allowed], { path, content: 'x' }), path, 'outside');
      expect(existsSync(path)).toBe(false);
    });

    it('prefix confusion: /allowed-evil is not inside /allowed', () => {
      const path = `${fx.root}/allowed-evil/x.txt`;
      expectDeniedAs(writeWith([fx.allowed], { path, content: 'x' }), path, 'outside');
    });

    it('traversal is refused', () => {
      const path = `${fx.allowed}/../outside/planted.txt`;
      expectDeniedAs(writeWith([fx.allowed], { path, content: 'x' }), path, '".."');
    });

    it('a write through a dangling symlink is refused and does not create its target', () => {
      const path = `${fx.allowed}/dangling`;
      expectDeniedAs(writeWith([fx.allowed], { path, content: 'x' }), path, 'symbolic link');
      expect(existsSync(`${fx.outside}/new.txt`)).toBe(false);
    });

    it('a write through a symlink to a file outside is refused', () => {
      const path = `${fx.allowed}/to-outside`;
      expectDeniedAs(writeWith([fx.allowed], { path, content: 'pwned' }), path, 'symbolic link');
      secretUnchanged();
    });

    it('a symlink at the target is never followed, even when it points inside', () => {
      const path = `${fx.allowed}/inner-link`;
      expectDeniedAs(writeWith([fx.allowed], { path, content: 'x' }), path, 'symbolic link');
      expect(readFileSync(`${fx.allowed}/a.txt`, 'utf8')).toBe('hello');
    });

    it('a write into a symlinked directory that leads outside is refused', () => {
      const path = `${fx.allowed}/to-outside-dir/planted.txt`;
      expectDeniedAs(writeWith([fx.allowed], { path, content: 'x' }), path, 'outside');
      expect(existsSync(`${fx.outside}/planted.txt`)).toBe(false);
    });

    it('a write into a dangling directory symlink is refused (no oracle, nothing created)', () => {
      const path = `${fx.allowed}/dangling-dir/x.txt`;
      expectDeniedAs(writeWith([fx.allowed], { path, content: 'x' }), path, 'does not resolve');
    });

    it('a write to a hard link of a file outside is refused', () => {
      const path = `${fx.allowed}/hard`;
      expectDeniedAs(writeWith([fx.allowed], { path, content: 'pwned' }), path, 'hard link');
      secretUnchanged();
    });

    it('a write to a FIFO is refused', () => {
      const path = `${fx.allowed}/fifo`;
      expectDeniedAs(writeWith([fx.allowed], { path, content: 'x' }), path, 'fifo');
    });

    it('/dev/null is refused even with fs.write of /', () => {
      expectDeniedAs(
        writeWith(['/'], { path: '/dev/null', content: 'x' }),
        '/dev/null',
        '/proc, /sys or /dev',
      );
    });

    it('/proc/self/mem is refused even with fs.write of /', () => {
      expectDeniedAs(
        writeWith(['/'], { path: '/proc/self/mem', content: 'x' }),
        '/proc/self/mem',
        '/proc, /sys or /dev',
      );
    });

    it('oversize content is refused', () => {
      const path = `${fx.allowed}/big.txt`;
      expectDeniedAs(
        writeWith([fx.allowed], { path, content: 'x'.repeat(11) }, 10),
        path,
        'larger than 10',
      );
      expect(existsSync(path)).toBe(false);
    });

    it('appending past the cap is refused', () => {
      const path = `${fx.allowed}/grow.txt`;
      writeFileSync(path, 'x'.repeat(8));
      expectDeniedAs(
        writeWith([fx.allowed], { path, content: 'yyy', append: true }, 10),
        path,
        'grow beyond 10',
      );
      expect(readFileSync(path, 'utf8')).toBe('x'.repeat(8));
    });

    it('fs.read does not grant writes', () => {
      const host = fakeHost({ grants: { 'fs.read': { paths: [fx.allowed] } } });
      const path = `${fx.allowed}/x.txt`;
      expectDeniedAs(
        { host, result: bindHostFunctions(host.env).fs_write({ path, content: 'x' }) },
        path,
        'not granted',
      );
    });

    it.each([
      [{ content: 'x' }, '', 'non-empty'],
      [{ path: '/ALLOWED/x', content: 42 }, '/ALLOWED/x', 'content must be a string'],
      [{ path: '/ALLOWED/x', content: '!!!!', encoding: 'base64' }, '/ALLOWED/x', 'base64'],
      [{ path: '/ALLOWED/x', content: 'x', append: 'yes' }, '/ALLOWED/x', 'append'],
    ])('malformed input %j is refused', (input, target, reason) => {
      const fixed = JSON.parse(JSON.stringify(input).replace('/ALLOWED', fx.allowed));
      expectDeniedAs(
        writeWith([fx.allowed], fixed),
        target.replace('/ALLOWED', fx.allowed),
        reason,
      );
    });
  });
});
