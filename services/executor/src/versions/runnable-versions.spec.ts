import { Module } from '@nestjs/common';
import { EventSubjects } from '@convergio/contracts';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { aManifest, expectEventually } from '@convergio/testing';
import { MessagingModule } from '@convergio/messaging';
import { EXECUTOR_SERVICE } from '../executor.schema.js';
import { executorPersistence } from '../index.js';
import { ToolsService } from '../invocations/tools.service.js';
import { VersionTable } from './version-table.js';
import { PolicyGate } from './policy-gate.js';
import { RunnableVersions } from './runnable-versions.js';

// Every version fits the operator policy here (PolicyGate has specs of its own).
@Module({
  imports: [MessagingModule.forService(EXECUTOR_SERVICE)],
  providers: [
    VersionTable,
    RunnableVersions,
    ToolsService,
    { provide: PolicyGate, useValue: { violations: () => [] } },
  ],
})
class VersionsOnly {}

const sha = 'a'.repeat(64);
const manifestOf = (id: string, version: string) =>
  aManifest({
    id,
    version,
    capabilities: {
      tools: [
        {
          name: `tool_${version.replace(/\W/g, '_')}`,
          function: 'greet',
          description: 'greets',
          input_schema: {},
        },
      ],
    },
  });

describe('RunnableVersions', () => {
  let h: ServiceHarness;

  beforeAll(async () => {
    h = await startServiceHarness({ ...executorPersistence, feature: VersionsOnly });
  });
  afterAll(() => h?.close());

  const approve = (id: string, version: string) =>
    h.bus.publish(EventSubjects.PluginApproved, {
      plugin_id: id,
      version,
      manifest: manifestOf(id, version),
      module_sha256: sha,
      trust: 'untrusted',
      approved_by: 'auto',
    });

  it('serves, after a restart, what the table holds, without reading it per call', async () => {
    await approve('v.table', '1.9.0');
    await approve('v.table', '1.10.0');
    // This replica's consumer writes the table (in the harness the handlers are the test's:
    // the events are applied to the table here as the executor's consumer does).
    const table = h.app.get(VersionTable);
    for (const e of h.events.filter((e) => e.type === 'plugin.approved')) await table.apply(e);

    const restarted = new RunnableVersions(h.dataSource, h.bus);
    await restarted.onModuleInit();
    try {
      expect(restarted.runnable('v.table').version).toBe('1.10.0');
    } finally {
      await restarted.onModuleDestroy();
    }
  });

  it('follows every lifecycle event published after start, and tells listeners of revocations at once', async () => {
    const view = h.app.get(RunnableVersions);
    const revoked: string[] = [];
    view.onRevoked((id, version) => revoked.push(`${id}@${version}`));

    await h.bus.publish(EventSubjects.PluginSubmitted, {
      plugin_id: 'v.live',
      version: '1.0.0',
      manifest: manifestOf('v.live', '1.0.0'),
      module_sha256: sha,
      module_size: 10,
      submitted_by: 'k1',
    });
    await expectEventually(() =>
      expect(() => view.runnable('v.live')).toThrow(
        expect.objectContaining({ code: 'invalid_state' }),
      ),
    );

    await approve('v.live', '1.0.0');
    await expectEventually(() => expect(view.runnable('v.live').version).toBe('1.0.0'));

    await h.bus.publish(EventSubjects.PluginRevoked, {
      plugin_id: 'v.live',
      version: '1.0.0',
      revoked_by: 'k-admin',
    });
    await expectEventually(() => expect(revoked).toEqual(['v.live@1.0.0']));
    expect(() => view.runnable('v.live', '1.0.0')).toThrow(
      expect.objectContaining({
        code: 'invalid_state',
        message: expect.stringContaining('revoked'),
      }),
    );
  });

  it('serves by default the highest approved release as versions are approved and revoked', async () => {
    const view = h.app.get(RunnableVersions);
    await approve('v.default', '1.0.0');
    await expectEventually(() => expect(view.runnable('v.default').version).toBe('1.0.0'));

    await approve('v.default', '2.0.0');
    await expectEventually(() => expect(view.runnable('v.default').version).toBe('2.0.0'));
    await approve('v.default', '2.1.0-rc.1');
    await h.bus.publish(EventSubjects.PluginRevoked, {
      plugin_id: 'v.default',
      version: '2.0.0',
      revoked_by: 'k-admin',
    });
    await expectEventually(() => expect(view.runnable('v.default').version).toBe('1.0.0'));
    expect(view.runnable('v.default', '2.1.0-rc.1').version).toBe('2.1.0-rc.1');
  });

  it('lists the tools of the version each plugin serves', async () => {
    await approve('v.tools', '2.0.0');
    await approve('v.tools', '3.0.0-beta.1');
    await expectEventually(() => {
      const { tools } = h.app.get(ToolsService).list();
      expect(
        tools.filter((t) => t.plugin_id === 'v.tools').map((t) => [t.version, t.name]),
      ).toEqual([['2.0.0', 'tool_2_0_0']]);
    });
  });
});
