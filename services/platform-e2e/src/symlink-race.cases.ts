import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectEventually } from '@convergio/testing';
import { createKey } from './support/fixtures.js';
import {
  callHost,
  denials,
  deployHostile,
  expectPong,
  type HostAnswer,
} from './support/hostile.js';

const READS = 150;

/**
 * Time of check to time of use, through the running platform: while a separate process keeps
 * turning a symlink inside the grant from a file inside to a secret outside and back, the
 * plugin reads the symlink again and again. Each read answers the inside content or a
 * recorded refusal, never the secret.
 */
describe('a symlink swapped under the executor while a plugin reads it', () => {
  let invoker: string;
  let auditor: string;
  let hostile: string;
  const root = mkdtempSync(join(tmpdir(), 'cvg-race-'));
  const granted = join(root, 'granted');
  const link = join(granted, 'flip');
  const secret = `SECRET-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    let publisher: string;
    [invoker, auditor, publisher] = await Promise.all([
      createKey('invoker'),
      createKey('auditor'),
      createKey('publisher'),
    ]);
    mkdirSync(granted);
    writeFileSync(join(granted, 'inside.txt'), 'inside content');
    writeFileSync(join(root, 'secret.txt'), secret);
    symlinkSync(join(granted, 'inside.txt'), link);
    hostile = await deployHostile(publisher, { permissions: { 'fs.read': { paths: [granted] } } });
  });

  it('never answers the secret; refusals are structured and recorded; the executor still serves', async () => {
    // The attacker: replaces the link atomically (rename over it) as fast as it can, until
    // killed (or a minute passes, should this test die first).
    const attacker = spawn(process.execPath, [
      '-e',
      `const fs = require('fs');
       const [link, inside, outside] = ${JSON.stringify([link, join(granted, 'inside.txt'), join(root, 'secret.txt')])};
       console.log('flipping');
       for (const end = Date.now() + 60000; Date.now() < end; )
         for (const to of [outside, inside]) {
           fs.symlinkSync(to, link + '.next');
           fs.renameSync(link + '.next', link);
         }`,
    ]);
    const answers: HostAnswer[] = [];
    try {
      await once(attacker.stdout, 'data');
      for (let i = 0; i < READS; i++)
        answers.push(await callHost(invoker, hostile, 'fs_read', { path: link }));
    } finally {
      attacker.kill();
    }

    for (const answer of answers) expect(JSON.stringify(answer)).not.toContain(secret);
    const reads = answers.filter((a) => a.content === 'inside content');
    const refusals = answers.filter((a) => a.error);
    // The race was really run: both outcomes were seen, and nothing else.
    expect(reads.length).toBeGreaterThan(0);
    expect(refusals.length).toBeGreaterThan(0);
    expect(reads.length + refusals.length).toBe(READS);
    for (const { error } of refusals)
      expect(error).toMatchObject({ code: 'permission_denied', capability: 'fs.read' });
    await expectEventually(async () =>
      expect(
        (await denials(auditor, hostile)).filter(
          (d) => d.data.capability === 'fs.read' && d.data.target === link,
        ),
      ).toHaveLength(refusals.length),
    );
    await expectPong(invoker, hostile);
  });
});
