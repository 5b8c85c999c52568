import {
  hasEnvFileSegment,
  platformProtectedRoots,
  protectedPathRefusal,
  type PathProtection,
} from './path-protection.js';
import { expandPluginDir, PLUGIN_DIR_TOKEN } from './plugin-dir.js';

describe('platformProtectedRoots', () => {
  const none = { dataDirs: [], configFiles: [], homeDir: null, workingDir: null, extra: [] };

  it('always holds /proc, /sys and /dev', () => {
    expect(platformProtectedRoots(none)).toEqual(['/proc', '/sys', '/dev']);
  });

  it('canonicalises and de-duplicates', () => {
    expect(
      platformProtectedRoots({
        dataDirs: ['/var/lib/convergio/', '/var/lib//convergio'],
        configFiles: ['/etc/convergio/./executor.env'],
        homeDir: '/home/convergio',
        workingDir: '/srv/convergio/app/..',
        extra: ['/etc/convergio/executor.env', '/dev/'],
      }),
    ).toEqual([
      '/proc',
      '/sys',
      '/dev',
      '/var/lib/convergio',
      '/etc/convergio/executor.env',
      '/home/convergio',
      '/srv/convergio',
    ]);
  });

  it('skips a home or working directory of / (systemd units run in /)', () => {
    expect(platformProtectedRoots({ ...none, homeDir: '/', workingDir: '//' })).toEqual([
      '/proc',
      '/sys',
      '/dev',
    ]);
  });

  it.each([
    [{ ...none, dataDirs: ['data'] }],
    [{ ...none, workingDir: '.' }],
    [{ ...none, extra: ['etc/convergio'] }],
  ])('throws on a relative path: %j', (input) => {
    expect(() => platformProtectedRoots(input)).toThrow('not absolute');
  });
});

describe('protectedPathRefusal', () => {
  const protection: PathProtection = {
    roots: [
      '/proc',
      '/sys',
      '/dev',
      '/var/lib/convergio',
      '/etc/convergio/executor.env',
      '/home/svc',
    ],
    ownDir: '/var/lib/convergio/files/my-plugin',
  };

  it.each<[string, string | null]>([
    ['/var/lib/convergio/files/my-plugin', null], // the own dir itself
    ['/var/lib/convergio/files/my-plugin/sub/a.txt', null],
    ['/var/lib/convergio/files/other-plugin/a.txt', "platform's own files"],
    ['/var/lib/convergio/files/my-plugin-evil/a.txt', "platform's own files"], // prefix confusion
    ['/var/lib/convergio/files', "platform's own files"],
    ['/var/lib/convergio', "platform's own files"],
    ['/var/lib/convergio-evil/a', null], // whole segments
    ['/var/lib', null], // a parent of a protected root is not inside it
    ['/etc/convergio/executor.env', "platform's own files"], // a protected file
    ['/etc/convergio/other', null],
    ['/home/svc/.ssh/id_ed25519', "platform's own files"],
    ['/proc/self/environ', '/proc, /sys or /dev'],
    ['/dev/shm/x', '/proc, /sys or /dev'],
    ['/srv/app/.env', '.env'],
    ['/srv/app/.env.production', '.env'],
    ['/srv/.env/anything', '.env'], // a directory named .env
    ['/var/lib/convergio/files/my-plugin/.env', '.env'], // even in the own dir
    ['/srv/app/.envrc', null],
    ['/srv/app/x.env', null],
    ['/srv/app/env', null],
  ])('%j → %j', (path, reason) => {
    const refusal = protectedPathRefusal(path, protection);
    if (reason === null) expect(refusal).toBeNull();
    else expect(refusal).toContain(reason);
  });

  it('keeps /proc, /sys and /dev refused when the protection omits them or puts ownDir there', () => {
    expect(protectedPathRefusal('/proc/1/mem', { roots: [], ownDir: '/proc' })).toContain('/proc');
    expect(protectedPathRefusal('/sys/x', { roots: [], ownDir: null })).toContain('/sys');
  });

  it('keeps a protected root that lies inside the own dir protected', () => {
    const odd: PathProtection = { roots: ['/srv/p/secrets'], ownDir: '/srv/p' };
    expect(protectedPathRefusal('/srv/p/secrets/key', odd)).not.toBeNull();
    expect(protectedPathRefusal('/srv/p/data', odd)).toBeNull();
  });

  it('does not name the protected root (the reason reaches the plugin)', () => {
    expect(protectedPathRefusal('/home/svc/x', protection)).not.toContain('/home/svc');
  });

  it.each([
    ['/a/.env', true],
    ['/.env.local', true],
    ['/a/.env./b', true],
    ['/a/.environment', false],
    ['/a/b.env', false],
  ])('hasEnvFileSegment(%j) is %j', (path, expected) => {
    expect(hasEnvFileSegment(path)).toBe(expected);
  });
});

describe('expandPluginDir', () => {
  const dir = '/var/lib/convergio/files/my-plugin';
  it.each([
    ['$PLUGIN_DIR', dir],
    ['$PLUGIN_DIR/', `${dir}/`],
    ['$PLUGIN_DIR/data/a.txt', `${dir}/data/a.txt`],
    ['$PLUGIN_DIR//data', `${dir}//data`],
    ['$PLUGIN_DIR/../other-plugin', `${dir}/../other-plugin`], // parsePluginPath then refuses ".."
    ['/x/$PLUGIN_DIR', '/x/$PLUGIN_DIR'], // not leading: left as is
    ['$PLUGIN_DIRX', '$PLUGIN_DIRX'],
    ['$PLUGIN_DIR..', '$PLUGIN_DIR..'],
    ['$plugin_dir/a', '$plugin_dir/a'],
    ['${PLUGIN_DIR}/a', '${PLUGIN_DIR}/a'],
    [' $PLUGIN_DIR/a', ' $PLUGIN_DIR/a'],
    ['/etc/passwd', '/etc/passwd'],
  ])('%j → %j', (path, expected) => {
    expect(expandPluginDir(path, dir)).toBe(expected);
  });

  it('takes a pluginDir with a trailing slash', () => {
    expect(expandPluginDir('$PLUGIN_DIR/a', '/p/')).toBe('/p/a');
  });

  it('exports the token', () => expect(PLUGIN_DIR_TOKEN).toBe('$PLUGIN_DIR'));
});
