import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostsAnswer, parseHostsFile, readHostsFile } from './hosts-file.js';

describe('parseHostsFile', () => {
  const table = parseHostsFile(
    [
      '# comment line',
      '127.0.0.1\tlocalhost',
      '::1     localhost ip6-localhost ip6-loopback',
      '10.0.0.5 DB.Internal. db   # trailing comment',
      '10.0.0.6 db.internal',
      '10.0.0.5 db.internal',
      'fe80::1%eth0 zoned',
      'not-an-ip somename',
      '300.1.1.1 badv4',
      '',
      '   ',
    ].join('\n'),
  );

  it.each([
    [
      'localhost',
      [
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ],
    ],
    ['ip6-loopback', [{ address: '::1', family: 6 }]],
    [
      'db.internal',
      [
        { address: '10.0.0.5', family: 4 },
        { address: '10.0.0.6', family: 4 },
      ],
    ],
    ['db', [{ address: '10.0.0.5', family: 4 }]],
    ['zoned', undefined],
    ['somename', undefined],
    ['badv4', undefined],
    ['#', undefined],
  ])('%s: %j', (name, answers) => expect(table.get(name)).toEqual(answers));
});

describe('hostsAnswer', () => {
  const loopback = [
    { address: '127.0.0.1', family: 4 },
    { address: '::1', family: 6 },
  ];
  it.each([
    ['localhost', loopback],
    ['api.localhost', loopback],
    ['localhost.example.com', undefined],
    ['notlocalhost', undefined],
    ['example.com', undefined],
  ])('%s with an empty file: %j', (name, answers) =>
    expect(hostsAnswer(new Map(), name)).toEqual(answers),
  );

  it("prefers the file's answer for localhost", () => {
    expect(hostsAnswer(parseHostsFile('127.0.0.1 localhost'), 'localhost')).toEqual([
      { address: '127.0.0.1', family: 4 },
    ]);
  });
});

describe('readHostsFile', () => {
  it('reads a file, and treats a missing one as empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hosts-'));
    writeFileSync(join(dir, 'hosts'), '192.0.2.1 printer\n');
    expect(readHostsFile(join(dir, 'hosts')).get('printer')).toEqual([
      { address: '192.0.2.1', family: 4 },
    ]);
    expect(readHostsFile(join(dir, 'missing')).size).toBe(0);
  });
});
