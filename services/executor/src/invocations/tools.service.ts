import { Injectable } from '@nestjs/common';
import type { ReplyMap } from '@convergio/contracts';
import { servingVersion } from '@convergio/manifest';
import { BusLimits, countWithin } from '@convergio/messaging';
import { PolicyGate } from '../versions/policy-gate.js';
import { RunnableVersions } from '../versions/runnable-versions.js';
import type { RunnableRecord } from '../versions/version-record.js';
import { decodeToolsCursor, encodeToolsCursor, type ToolPosition } from './tools-cursor.js';

type Tool = ReplyMap['executor.tools.list']['tools'][number];

/**
 * The tools the core's agents may call: those of the version each plugin serves by default,
 * unless the operator policy stops that version. In pages, by plugin id then tool name: as many
 * tools as fit the bus's reply budget (a tool carries its input schema), with a cursor for the rest.
 */
@Injectable()
export class ToolsService {
  constructor(
    private readonly versions: RunnableVersions,
    private readonly gate: PolicyGate,
    private readonly limits: BusLimits,
  ) {}

  /** The page after `cursor` (the first without); throws `validation_failed` for a cursor it did not hand out. */
  list(cursor?: string): ReplyMap['executor.tools.list'] {
    const after = cursor === undefined ? undefined : decodeToolsCursor(cursor);
    const byPlugin = new Map<string, RunnableRecord[]>();
    for (const d of this.versions.approved())
      byPlugin.set(d.pluginId, [...(byPlugin.get(d.pluginId) ?? []), d]);
    const tools: Tool[] = [];
    for (const versions of byPlugin.values()) {
      const serving = servingVersion(versions);
      const d = versions.find((v) => v.version === serving);
      if (!d || this.gate.violations(d.pluginId, d.version, d.manifest).length) continue;
      const listed = new Set<string>();
      for (const t of d.manifest.capabilities.tools ?? []) {
        // A name is listed once, with the tool a call of it reaches (the first): the cursor
        // is a position (plugin id, name), and two tools at one position would straddle a page.
        if (listed.has(t.name)) continue;
        listed.add(t.name);
        const tool = {
          plugin_id: d.pluginId,
          version: d.version,
          name: t.name,
          description: t.description,
          input_schema: t.input_schema,
        };
        if (!after || compare(tool, after) > 0) tools.push(tool);
      }
    }
    tools.sort((a, b) => compare(a, { pluginId: b.plugin_id, name: b.name }));
    const page = tools.slice(0, countWithin(tools, this.limits.replyBudget));
    const last = page[page.length - 1];
    return {
      tools: page,
      next_cursor:
        page.length < tools.length
          ? encodeToolsCursor({ pluginId: last.plugin_id, name: last.name })
          : null,
    };
  }
}

/** Orders tools by plugin id, then name (code unit order, the same on every replica). */
function compare(t: Tool, p: ToolPosition): number {
  if (t.plugin_id !== p.pluginId) return t.plugin_id < p.pluginId ? -1 : 1;
  if (t.name !== p.name) return t.name < p.name ? -1 : 1;
  return 0;
}
