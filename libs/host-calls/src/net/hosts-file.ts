import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/** One answer, as the Resolver type returns them. */
export interface ResolvedAnswer {
  address: string;
  family: 4 | 6;
}

/** Names of a hosts file (lowercase, no trailing dot) to their addresses, in file order. */
export type HostsTable = ReadonlyMap<string, readonly ResolvedAnswer[]>;

const LOOPBACK: readonly ResolvedAnswer[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

/**
 * Parses hosts(5) text: `address name [aliases...]`, `#` to the end of a line. Lines whose
 * address is not an IP literal are skipped (zone ids such as `fe80::1%eth0` too: a socket
 * cannot be pinned to them portably).
 */
export function parseHostsFile(text: string): HostsTable {
  const table = new Map<string, ResolvedAnswer[]>();
  for (const line of text.split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    const family = address?.includes('%') ? 0 : isIP(address ?? '');
    if (family !== 4 && family !== 6) continue;
    for (const raw of names) {
      const name = raw.toLowerCase().replace(/\.$/, '');
      const answers = table.get(name) ?? [];
      if (!answers.some((a) => a.address === address)) answers.push({ address, family });
      table.set(name, answers);
    }
  }
  return table;
}

/**
 * The hosts file's answer for a name, or undefined to ask DNS. `localhost` and names under
 * `.localhost` are loopback when the file does not name them (RFC 6761), never asked of a
 * DNS server that could answer otherwise.
 */
export function hostsAnswer(
  table: HostsTable,
  name: string,
): readonly ResolvedAnswer[] | undefined {
  const found = table.get(name);
  if (found) return found;
  return name === 'localhost' || name.endsWith('.localhost') ? LOOPBACK : undefined;
}

/**
 * Reads the hosts file once (at boot: a read per call would go through the libuv thread
 * pool or block the main thread). A missing or unreadable file is an empty table.
 */
export function readHostsFile(path = '/etc/hosts'): HostsTable {
  try {
    return parseHostsFile(readFileSync(path, 'utf8'));
  } catch {
    return new Map();
  }
}
