import { Injectable } from '@nestjs/common';
import type { ReplyMap } from '@convergio/contracts';
import { DeploymentsService } from '../deployments/deployments.service.js';
import { PolicyGate } from '../deployments/policy-gate.js';

/**
 * The tools the core's agents may call: those of the newest approved version of each plugin,
 * unless the operator policy stops that version.
 */
@Injectable()
export class ToolsService {
  constructor(
    private readonly deployments: DeploymentsService,
    private readonly gate: PolicyGate,
  ) {}

  async list(): Promise<ReplyMap['executor.tools.list']> {
    const seen = new Set<string>();
    const tools: ReplyMap['executor.tools.list']['tools'] = [];
    for (const d of await this.deployments.approved()) {
      if (seen.has(d.pluginId)) continue;
      seen.add(d.pluginId);
      if (this.gate.violations(d.pluginId, d.version, d.manifest).length) continue;
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
