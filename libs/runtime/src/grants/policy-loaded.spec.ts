import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BusClient } from '@convergio/messaging';
import { loadPlatformGrants } from './platform-grants.js';
import { policyLoadedProvider } from './policy-loaded.js';

const dir = mkdtempSync(join(tmpdir(), 'cvg-policy-loaded-'));
const grantsOf = (policyFile?: string) =>
  loadPlatformGrants({ policyFile, pluginFilesDir: join(dir, 'plugins'), dataDirs: [] });

async function announced(grants: ReturnType<typeof grantsOf>) {
  const published: { subject: string; data: unknown }[] = [];
  const bus = {
    publish: (subject: string, data: unknown) => {
      published.push({ subject, data });
      return Promise.resolve('id');
    },
  };
  @Module({
    providers: [{ provide: BusClient, useValue: bus }, policyLoadedProvider('executor', grants)],
  })
  class AppModule {}
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  await app.close();
  return published;
}

describe('policy.loaded', () => {
  it('names the policy file and the SHA-256 of its bytes, once the service has started', async () => {
    const file = join(dir, 'policy.yaml');
    const text = 'permissions:\n  denied: [proc.exec]\n';
    writeFileSync(file, text);
    expect(await announced(grantsOf(file))).toEqual([
      {
        subject: 'policy.loaded',
        data: expect.objectContaining({
          service: 'executor',
          file,
          sha256: createHash('sha256').update(text).digest('hex'),
        }),
      },
    ]);
  });

  it('says when the built-in default policy is in force', async () => {
    expect(await announced(grantsOf())).toEqual([
      {
        subject: 'policy.loaded',
        data: expect.objectContaining({ file: null, sha256: null }),
      },
    ]);
  });
});
