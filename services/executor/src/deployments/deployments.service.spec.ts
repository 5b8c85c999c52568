import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import type { EventEnvelope } from '@convergio/contracts';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { aManifest } from '@convergio/testing';
import { executorPersistence } from '../index.js';
import { ToolsService } from '../invocations/tools.service.js';
import type { DeploymentStatus } from './deployment.entity.js';
import { DeploymentsService } from './deployments.service.js';
import { PolicyGate } from './policy-gate.js';

// Every version fits the operator policy here (PolicyGate has specs of its own).
@Module({
  providers: [
    DeploymentsService,
    ToolsService,
    { provide: PolicyGate, useValue: { violations: () => [] } },
  ],
})
class DeploymentsOnly {}

describe('DeploymentsService', () => {
  let h: ServiceHarness;
  let deployments: DeploymentsService;

  beforeAll(async () => {
    h = await startServiceHarness({ ...executorPersistence, feature: DeploymentsOnly });
    deployments = h.app.get(DeploymentsService);
  });
  afterAll(() => h?.close());

  /** Applies an event about `id@version` that moves it to `status`, with a manifest naming its tool. */
  const move = (id: string, version: string, status: DeploymentStatus, tool = `tool_${version}`) =>
    deployments.apply(
      {
        id: randomUUID(),
        occurred_at: new Date().toISOString(),
        data: { plugin_id: id, version },
      } as EventEnvelope,
      {
        status,
        moduleSha256: 'a'.repeat(64),
        ...(status === 'approved' && {
          trust: 'untrusted' as const,
          manifest: aManifest({
            id,
            version,
            capabilities: {
              tools: [{ name: tool, function: 'greet', description: tool, input_schema: {} }],
            },
          }),
        }),
      },
    );

  it('runs the highest approved release by default, whatever order they were approved in', async () => {
    await move('d.order', '1.10.0', 'approved');
    await move('d.order', '1.9.0', 'approved');

    expect((await deployments.runnable('d.order')).version).toBe('1.10.0');
  });

  it('runs an approved pre-release only when asked for by version', async () => {
    await move('d.beta', '2.0.0', 'approved');
    await move('d.beta', '3.0.0-beta.1', 'approved');

    expect((await deployments.runnable('d.beta')).version).toBe('2.0.0');
    expect((await deployments.runnable('d.beta', '3.0.0-beta.1')).version).toBe('3.0.0-beta.1');
  });

  it('falls back to the previous release when the highest is revoked', async () => {
    await move('d.revoked', '1.0.0', 'approved');
    await move('d.revoked', '2.0.0', 'approved');
    await move('d.revoked', '2.0.0', 'revoked');

    expect((await deployments.runnable('d.revoked')).version).toBe('1.0.0');
    await expect(deployments.runnable('d.revoked', '2.0.0')).rejects.toMatchObject({
      code: 'invalid_state',
    });
  });

  it('refuses a default call when no release is approved', async () => {
    await move('d.none', '1.0.0-rc.1', 'approved');
    await move('d.none', '1.0.0', 'pending');

    await expect(deployments.runnable('d.none')).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('starts a rejected version over when it is submitted again, and runs it once approved', async () => {
    await move('d.retry', '1.0.0', 'pending');
    await move('d.retry', '1.0.0', 'rejected');
    expect(await move('d.retry', '1.0.0', 'pending')).toMatchObject({
      status: 'pending',
      manifest: null,
    });
    await move('d.retry', '1.0.0', 'approved');

    expect((await deployments.runnable('d.retry')).version).toBe('1.0.0');
  });

  it('lists the tools of the version each plugin serves', async () => {
    const { tools } = await h.app.get(ToolsService).list();

    expect(tools.filter((t) => t.plugin_id === 'd.beta').map((t) => [t.version, t.name])).toEqual([
      ['2.0.0', 'tool_2.0.0'],
    ]);
    expect(tools.filter((t) => t.plugin_id === 'd.order').map((t) => t.version)).toEqual([
      '1.10.0',
    ]);
  });
});
