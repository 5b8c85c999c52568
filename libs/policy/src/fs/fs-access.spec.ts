import {
  decideFsAccess,
  decideOpenedMatchesChecked,
  decideRequestedPath,
  type FsTargetFacts,
} from './fs-access.js';
import { MINIMAL_PATH_PROTECTION, type PathProtection } from './path-protection.js';

// The platform's data directory holds every plugin's own directory.
const platform: PathProtection = {
  roots: ['/proc', '/sys', '/dev', '/var/lib/convergio', '/etc/convergio'],
  ownDir: '/var/lib/convergio/files/my-plugin',
};

const facts = (overrides: Partial<FsTargetFacts>): FsTargetFacts => ({
  operation: 'read',
  realPath: '/data/a.txt',
  grantRoots: ['/data'],
  protection: MINIMAL_PATH_PROTECTION,
  kind: 'file',
  nlink: 1,
  size: 10,
  maxFileBytes: 100,
  ...overrides,
});

describe('decideRequestedPath (before any I/O)', () => {
  it.each([
    ['/data/a.txt', ['/data'], [], true],
    ['/link/a.txt', ['/link'], ['/real'], true], // as the manifest wrote it
    ['/real/a.txt', ['/link'], ['/real'], true], // as it resolved
    ['/etc/passwd', ['/data'], ['/data'], false],
    ['/data-evil/a', ['/data'], ['/data'], false],
    ['/proc/self/environ', ['/'], ['/'], false], // forbidden even under a grant of /
    ['/dev/zero', ['/'], ['/'], false],
    ['/sys/kernel/notes', ['/sys'], ['/sys'], false],
  ])('%j under %j / %j → %j', (path, declared, real, expected) => {
    expect(decideRequestedPath(path, declared, real, MINIMAL_PATH_PROTECTION).allowed).toBe(
      expected,
    );
  });

  it.each([
    ['/var/lib/convergio/files/my-plugin/a.txt', true], // own dir under the data dir
    ['/var/lib/convergio/files/other-plugin/a.txt', false], // another plugin's dir
    ['/var/lib/convergio/executor.db', false],
    ['/var/lib/convergio-evil/a', true], // whole segments
    ['/etc/convergio/policy.yaml', false],
    ['/var/lib/convergio/files/my-plugin/.env', false], // .env even in the own dir
    ['/proc/self/environ', false],
  ])('under a grant of / with the platform protected: %j → %j', (path, expected) => {
    expect(decideRequestedPath(path, ['/'], ['/'], platform).allowed).toBe(expected);
  });
});

describe('decideFsAccess', () => {
  it.each<[string, Partial<FsTargetFacts>, string | null]>([
    ['a regular file inside the grant', {}, null],
    [
      'the grant itself when it is a file',
      { realPath: '/data/a.txt', grantRoots: ['/data/a.txt'] },
      null,
    ],
    ['a symlink that resolved to /etc', { realPath: '/etc/passwd' }, 'outside'],
    ['prefix confusion', { realPath: '/data-evil/a.txt' }, 'outside'],
    [
      '/proc/self/environ under a grant of /',
      { realPath: '/proc/self/environ', grantRoots: ['/'] },
      '/proc',
    ],
    [
      '/dev/zero under a grant of /dev',
      { realPath: '/dev/zero', grantRoots: ['/dev'], kind: 'char-device' },
      '/proc',
    ],
    ['a FIFO', { kind: 'fifo' }, 'fifo'],
    ['a socket', { kind: 'socket' }, 'socket'],
    ['a block device', { kind: 'block-device' }, 'block-device'],
    ['a directory', { kind: 'directory' }, 'directory'],
    ['a hard link (nlink 2)', { nlink: 2 }, 'hard link'],
    ['an oversize file', { size: 101 }, 'larger'],
    ['a missing file', { kind: 'missing' }, 'does not exist'],
    [
      'a missing file outside the grant (no existence oracle)',
      { kind: 'missing', realPath: '/etc/nothere' },
      'outside',
    ],
    ['a symlink (raced in)', { kind: 'symlink' }, 'symbolic link'],
    [
      'a grant that resolved into the data dir',
      { realPath: '/var/lib/convergio/executor.db', grantRoots: ['/'], protection: platform },
      "platform's own files",
    ],
    [
      'the own dir under the data dir',
      {
        realPath: '/var/lib/convergio/files/my-plugin/a.txt',
        grantRoots: ['/var/lib/convergio/files/my-plugin'],
        protection: platform,
      },
      null,
    ],
    ['a .env file inside the grant', { realPath: '/data/app/.env.local' }, '.env'],
    [
      '/proc even when a protection forgets it',
      { realPath: '/proc/1/mem', grantRoots: ['/'], protection: { roots: [], ownDir: '/proc' } },
      '/proc',
    ],
  ])('read: %s', (_name, overrides, reason) => {
    const decision = decideFsAccess(facts(overrides));
    if (reason === null) expect(decision).toEqual({ allowed: true });
    else
      expect(decision).toMatchObject({ allowed: false, reason: expect.stringContaining(reason) });
  });

  it.each<[string, Partial<FsTargetFacts>, string | null]>([
    ['a new file', { kind: 'missing', writeBytes: 100 }, null],
    ['an existing file', { writeBytes: 50 }, null],
    ['an append that fits', { append: true, size: 50, writeBytes: 50 }, null],
    ['oversize content', { kind: 'missing', writeBytes: 101 }, 'content is larger'],
    [
      'an append that grows the file past the cap',
      { append: true, size: 60, writeBytes: 50 },
      'grow',
    ],
    [
      'a symlink at the target (dangling or not)',
      { kind: 'symlink', writeBytes: 1 },
      'symbolic link',
    ],
    ['a hard-linked file', { nlink: 3, writeBytes: 1 }, 'hard link'],
    ['outside the grant', { realPath: '/etc/cron.d/x', kind: 'missing', writeBytes: 1 }, 'outside'],
    ['a FIFO', { kind: 'fifo', writeBytes: 1 }, 'fifo'],
  ])('write: %s', (_name, overrides, reason) => {
    const decision = decideFsAccess(facts({ operation: 'write', ...overrides }));
    if (reason === null) expect(decision).toEqual({ allowed: true });
    else expect(decision).toEqual({ allowed: false, reason: expect.stringContaining(reason) });
  });

  it('marks refusals of missing targets inside the grant as notFound, and only those', () => {
    expect(decideFsAccess(facts({ kind: 'missing' }))).toMatchObject({
      allowed: false,
      notFound: true,
    });
    expect(decideFsAccess(facts({ kind: 'missing', realPath: '/etc/x' }))).not.toHaveProperty(
      'notFound',
    );
  });

  it.each<[string, Partial<FsTargetFacts>, boolean]>([
    ['a directory', { kind: 'directory', realPath: '/data' }, true],
    ['a file', { kind: 'file' }, false],
    ['/proc', { kind: 'directory', realPath: '/proc', grantRoots: ['/'] }, false],
  ])('list: %s', (_name, overrides, expected) => {
    expect(decideFsAccess(facts({ operation: 'list', ...overrides })).allowed).toBe(expected);
  });
});

describe('decideOpenedMatchesChecked (TOCTOU)', () => {
  const id = (ino: number) => ({ dev: 1n, ino: BigInt(ino) });
  it.each([
    [
      'same path and inode',
      { realPath: '/data/a', identity: id(5) },
      { realPath: '/data/a', identity: id(5) },
      true,
    ],
    [
      'new file (no inode before)',
      { realPath: '/data/a', identity: null },
      { realPath: '/data/a', identity: id(9) },
      true,
    ],
    [
      'directory swapped to a symlink',
      { realPath: '/data/d/a', identity: id(5) },
      { realPath: '/etc/a', identity: id(5) },
      false,
    ],
    [
      'file replaced by another',
      { realPath: '/data/a', identity: id(5) },
      { realPath: '/data/a', identity: id(6) },
      false,
    ],
  ])('%s', (_name, checked, opened, expected) => {
    expect(decideOpenedMatchesChecked(checked, opened).allowed).toBe(expected);
  });
});
