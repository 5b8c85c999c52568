import { Injectable } from '@nestjs/common';
import type { ReplyMap } from '@convergio/contracts';
import { servingVersion } from '@convergio/manifest';
import { PolicyGate } from '../versions/policy-gate.js';
import { RunnableVersions } from '../versions/runnable-versions.js';
import type { RunnableRecord } from '../versions/version-record.js';

/**
 * The tools the core's agents may call: those of the version each plugin serves by default,
 * unless the operator policy stops that version.
 */
@Injectable()
export class ToolsService {
  constructor(
    private readonly versions: RunnableVersions,
    private readonly gate: PolicyGate,
  ) {}

  list(): ReplyMap['executor.tools.list'] {
    const byPlugin = new Map<string, RunnableRecord[]>();
    for (const d of this.versions.approved())
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
