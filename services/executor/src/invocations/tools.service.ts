import { Injectable } from '@nestjs/common';
import type { ReplyMap } from '@convergio/contracts';
import { servingVersion } from '@convergio/manifest';
import { DeploymentsService } from '../deployments/deployments.service.js';
import { PolicyGate } from '../deployments/policy-gate.js';

type Approved = Awaited<ReturnType<DeploymentsService['approved']>>[number];

/**
 * The tools the core's agents may call: those of the version each plugin serves by default,
 * unless the operator policy stops that version.
 */
@Injectable()
export class ToolsService {
  constructor(
    private readonly deployments: DeploymentsService,
    private readonly gate: PolicyGate,
  ) {}

  async list(): Promise<ReplyMap['executor.tools.list']> {
    const byPlugin = new Map<string, Approved[]>();
    for (const d of await this.deployments.approved())
      byPlugin.set(d.pluginId, [...(byPlugin.get(d.pluginId) ?? []), d]);
    const tools: ReplyMap['executor.tools.list']['tools'] = [];
    for (const versions of byPlugin.values()) {
      const serving = servingVersion(versions);
      const d = versions.find((v) => v.version === serving);
      if (!d || this.gate.violations(d.pluginId, d.version, d.manifest).length) continue;
      for (const t of d.manifest.capabilities.tools ?? []) {
        tools.push({
          plugin_id: d.pluginId,
          version: d.version,
          name: t.name,
          description: t.description,
          input_schema: t.input_schema,
        });
      }
    }
    return { tools };
  }
}
