import type {
  ApprovalItem,
  AuditEvent,
  Finding,
  ReplyMap,
  RequestSubjects,
  VersionState,
} from '@convergio/contracts';
import { detailLine, shown } from './output.js';

/** What GET /v1/plugins/{id} answers. */
export type PluginState = ReplyMap[typeof RequestSubjects.RegistryGetPlugin];
/** What POST /v1/plugins/{id}/invoke answers. */
export type InvokeReply = ReplyMap[typeof RequestSubjects.ExecutorInvoke];
/** What GET /v1/audit answers. */
export type AuditPage = ReplyMap[typeof RequestSubjects.AuditQuery];
export type { ApprovalItem, VersionState };

// Every string a view prints from an answer goes through `shown`: publishers, plugins and other
// users control most of them, and none may act on the terminal.

/** One version, as `status <id> <version>` prints it. */
export function versionView(state: VersionState): string {
  const permissions = Object.keys(state.permissions).map(shown);
  const lines = [
    `${shown(state.plugin_id)} ${shown(state.version)}: ${shown(state.status)}`,
    `  loaded:      ${state.loaded ? `yes (${state.loaded_on.map(shown).join(', ')})` : 'no'}`,
    ...(state.load_failure
      ? [`  load failed: ${shown(state.load_failure.reason)}: ${shown(state.load_failure.message)}`]
      : []),
    `  trust:       ${shown(state.trust ?? '-')}`,
    `  owner:       ${shown(state.owner)}`,
    `  permissions: ${permissions.length > 0 ? permissions.join(', ') : 'none'}`,
    `  module:      sha256 ${shown(state.module_sha256)}`,
    `  submitted:   ${shown(state.submitted_at)} by ${shown(state.submitted_by)}`,
  ];
  if (state.sbom) lines.push(`  sbom:        sha256 ${shown(state.sbom.sha256)}`);
  lines.push(...findingsView('findings', state.findings));
  lines.push(...findingsView('policy violations', state.policy_violations));
  return lines.join('\n');
}

/** A plugin and its versions, as `status <id>` prints it. */
export function pluginView(plugin: PluginState): string {
  const versions = plugin.versions.map((v) => ({ ...v, version: shown(v.version) }));
  const width = Math.max(7, ...versions.map((v) => v.version.length));
  return [
    `${shown(plugin.plugin_id)} (${shown(plugin.name)}), owner ${shown(plugin.owner)}, serving ${shown(plugin.serving_version ?? 'nothing')}`,
    ...versions.map((v) =>
      `  ${v.version.padEnd(width)}  ${shown(v.status).padEnd(16)}  ${v.loaded ? 'loaded' : ''}`.trimEnd(),
    ),
  ].join('\n');
}

/** `  findings:` then one line per finding (nothing when there are none). */
export function findingsView(title: string, findings: readonly Finding[]): string[] {
  if (findings.length === 0) return [];
  return [`  ${title}:`, ...findings.map((f) => `    ${detailLine(f)}`)];
}

/** An approval decision, one line. */
export function decisionView(item: ApprovalItem): string {
  return shown(
    `${item.plugin_id} ${item.version}: ${item.status} (trust ${item.trust})${
      item.note ? `: ${item.note}` : ''
    }`,
  );
}

/** One audit event, one line: seq, time, type, plugin version, source. */
export function auditEventView(event: AuditEvent): string {
  const subject = event.plugin_id
    ? `${event.plugin_id}${event.version ? ` ${event.version}` : ''}`
    : '-';
  return shown(
    `${String(event.seq).padStart(6)}  ${event.occurred_at}  ${event.type.padEnd(28)}  ${subject}  (${event.source})`,
  );
}
