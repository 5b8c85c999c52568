import nodeDns from 'node:dns';
import { hostsAnswer, readHostsFile, type HostsTable } from './hosts-file.js';
import type { Resolver } from './pinned-address.js';

const dns = nodeDns.promises;

/** Tries per server; one retry covers a lost UDP datagram. */
const TRIES = 2;
/** Budget of a resolution whose caller gives none. */
const DEFAULT_BUDGET_MS = 10_000;

/**
 * A resolver that asks only `servers` (`ip`, `ip:port` or `[ipv6]:port`) for A and AAAA
 * records, through c-ares: never `dns.lookup`, whose getaddrinfo runs on the libuv thread
 * pool (4 threads for the whole process) and cannot be cancelled, so a DNS server that never
 * answers one plugin's names would stall every other plugin's calls. Each resolution gets a
 * c-ares channel of its own, given the caller's remaining budget and cancelled when its
 * signal aborts or the budget runs out; cancelling one never touches another's queries.
 * With `hosts`, names of that table (and `localhost`) are answered from it without asking.
 * Throws at once on a server that is not an address. An answer of one family is enough;
 * with none, the first error is thrown (ETIMEOUT when the budget ran out).
 */
export function dnsServersResolver(
  servers: readonly string[],
  options: { hosts?: HostsTable } = {},
): Resolver {
  if (servers.length === 0) throw new Error('no DNS server to ask');
  new dns.Resolver().setServers(servers); // validates now, not on the first plugin call
  const list = [...servers];
  return async (hostname, { signal, timeoutMs = DEFAULT_BUDGET_MS } = {}) => {
    const known = options.hosts && hostsAnswer(options.hosts, hostname);
    if (known) return known;
    if (signal?.aborted) throw cancelled(hostname);
    const resolver = new dns.Resolver({
      timeout: perTryTimeoutMs(timeoutMs, list.length),
      tries: TRIES,
    });
    resolver.setServers(list);
    let outOfTime = false;
    const cancel = () => resolver.cancel();
    const timer = setTimeout(() => {
      outOfTime = true;
      cancel();
    }, timeoutMs);
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      const [v4, v6] = await Promise.allSettled([
        resolver.resolve4(hostname),
        resolver.resolve6(hostname),
      ]);
      const answers = [
        ...(v4.status === 'fulfilled'
          ? v4.value.map((address) => ({ address, family: 4 as const }))
          : []),
        ...(v6.status === 'fulfilled'
          ? v6.value.map((address) => ({ address, family: 6 as const }))
          : []),
      ];
      if (answers.length > 0) return answers;
      if (outOfTime) throw coded('ETIMEOUT', hostname);
      const failed = [v4, v6].find((r) => r.status === 'rejected');
      throw failed ? failed.reason : new Error(`${hostname} has no address`);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', cancel);
    }
  };
}

/**
 * The system's DNS servers as Node read them at start (`/etc/resolv.conf`), through
 * dnsServersResolver, with /etc/hosts read now: what `dns.lookup` would have asked, minus
 * the thread pool, nsswitch modules and search domains (names are asked as written).
 */
export function systemDnsResolver(): Resolver {
  // Through the module object: dns.setServers replaces the resolver a named import is bound to.
  return dnsServersResolver(nodeDns.getServers(), { hosts: readHostsFile() });
}

const coded = (code: string, hostname: string) =>
  Object.assign(new Error(`resolving ${hostname}: ${code}`), { code });
const cancelled = (hostname: string) => coded('ECANCELLED', hostname);

/**
 * c-ares checks its timeouts on its own timer and lets a late try run on (measured: about
 * twice the nominal time), hence the halving; the cancel at the end of the budget is the
 * bound that holds.
 */
function perTryTimeoutMs(budgetMs: number, servers: number): number {
  return Math.max(1, Math.min(5_000, Math.floor(budgetMs / (2 * TRIES * servers))));
}
