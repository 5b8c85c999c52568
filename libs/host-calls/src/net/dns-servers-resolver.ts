import { promises as dns } from 'node:dns';
import type { Resolver } from './pinned-address.js';

/**
 * A resolver that asks only `servers` (`ip`, `ip:port` or `[ipv6]:port`) for A and AAAA
 * records, never /etc/hosts or the system's configuration. Throws at once on a server that
 * is not an address. An answer of one family is enough; with none, the first error is thrown.
 */
export function dnsServersResolver(servers: readonly string[]): Resolver {
  const resolver = new dns.Resolver();
  resolver.setServers(servers);
  return async (hostname) => {
    const [v4, v6] = await Promise.allSettled([
      resolver.resolve4(hostname),
      resolver.resolve6(hostname),
    ]);
    const answers = [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 })) : []),
    ];
    if (answers.length > 0) return answers;
    const failed = [v4, v6].find((r) => r.status === 'rejected');
    throw failed ? failed.reason : new Error(`${hostname} has no address`);
  };
}
