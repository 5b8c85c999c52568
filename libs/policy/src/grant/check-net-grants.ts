import type { Manifest } from '@convergio/contracts';
import { deniedAddress, type NetDenials } from '../net/address-class.js';
import { normaliseHost, toAsciiHost } from '../net/host.js';
import { deniedName } from '../net/host-denial.js';
import { parseWebSocketHostEntry } from '../net/websocket-rules.js';
import type { GrantPolicy } from './grant-policy.js';
import { pointer, violation, type GrantFinding } from './grant-context.js';

const RULE = {
  hosts: 'network.denied_hosts',
  suffixes: 'network.denied_host_suffixes',
  cidrs: 'network.denied_cidrs',
} as const;

/** The operator's network denials of a policy, in the form the net decisions read. */
export function netDenials(policy: GrantPolicy): NetDenials {
  const { denied_hosts, denied_host_suffixes, denied_cidrs } = policy.network;
  return { hosts: denied_hosts, suffixes: denied_host_suffixes, cidrs: denied_cidrs };
}

/**
 * The net.http rule hosts and net.websocket hosts of a manifest against the policy's
 * denials: an exact host that is denied, under a denied suffix, or (IP literal, embedded
 * IPv4 included) inside a denied range; a wildcard `*.x` whose `x` is denied or under a
 * denied suffix, or that covers a denied host or suffix (`*.example.com` while
 * `internal.example.com` is denied). Malformed hosts grant nothing and are not reported here.
 */
export function checkNetGrants(manifest: Manifest, policy: GrantPolicy): GrantFinding[] {
  const denied = netDenials(policy);
  const http = (manifest.permissions['net.http']?.rules ?? []).flatMap((rule, i) =>
    hostFindings(
      rule.host,
      rule.host,
      pointer('permissions', 'net.http', 'rules', i, 'host'),
      denied,
    ),
  );
  const ws = (manifest.permissions['net.websocket']?.hosts ?? []).flatMap((entry, i) => {
    const parsed = parseWebSocketHostEntry(entry);
    return parsed
      ? hostFindings(
          entry,
          parsed.host,
          pointer('permissions', 'net.websocket', 'hosts', i),
          denied,
        )
      : [];
  });
  return [...http, ...ws];
}

function hostFindings(
  written: string,
  pattern: string,
  at: string,
  denied: NetDenials,
): GrantFinding[] {
  const p = pattern.trim().toLowerCase();
  const fix = 'remove it from the manifest, or ask the operator to change the policy';
  if (p.startsWith('*.')) {
    const suffix = normaliseHost(toAsciiHost(p.slice(2)) ?? '');
    if (!suffix || suffix.kind !== 'name') return [];
    const findings: GrantFinding[] = [];
    const self = deniedName(suffix.name, denied);
    if (self) {
      findings.push(
        violation(
          RULE[self.list],
          at,
          written,
          `host ${pattern} covers subdomains of ${suffix.name}, which the operator denies (${self.entry}): ${fix}`,
        ),
      );
    }
    const below = (entries: readonly string[]) =>
      entries.filter((e) => e.endsWith(`.${suffix.name}`) && normaliseHost(e)?.kind === 'name');
    for (const [list, entries] of [
      ['hosts', denied.hosts],
      ['suffixes', denied.suffixes],
    ] as const) {
      for (const entry of below(entries)) {
        findings.push(
          violation(
            RULE[list],
            at,
            written,
            `host ${pattern} covers ${entry}, which the operator denies: name the hosts you need instead of a wildcard`,
          ),
        );
      }
    }
    return findings;
  }
  const host = normaliseHost(toAsciiHost(p) ?? '');
  if (!host) return [];
  if (host.kind === 'ip') {
    const match = deniedAddress(host.address, denied);
    return match
      ? [
          violation(
            RULE[match.list],
            at,
            written,
            `address ${host.name} is denied by the operator (${match.entry}): ${fix}`,
          ),
        ]
      : [];
  }
  const match = deniedName(host.name, denied);
  return match
    ? [
        violation(
          RULE[match.list],
          at,
          written,
          `host ${host.name} is denied by the operator (${match.entry}): ${fix}`,
        ),
      ]
    : [];
}
