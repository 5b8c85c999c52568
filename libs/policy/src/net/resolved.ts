import { addressRefusal, type NetPolicy } from './address-class.js';
import { parseIpAddress, type IpAddress } from './ip-address.js';

export type ResolvedDecision =
  { allowed: true; addresses: IpAddress[] } | { allowed: false; reason: string };

/**
 * Checks EVERY address a name resolved to (an attacker's DNS can mix a public and a
 * private answer and let the client pick). The caller must then connect to one of the
 * returned addresses itself, never resolve the name again (DNS rebinding).
 */
export function checkResolvedAddresses(
  host: string,
  addresses: readonly string[],
  policy: NetPolicy,
): ResolvedDecision {
  if (addresses.length === 0)
    return { allowed: false, reason: `host ${host} resolved to no address` };
  const parsed: IpAddress[] = [];
  for (const text of addresses) {
    const address = parseIpAddress(text);
    if (!address)
      return { allowed: false, reason: `host ${host} resolved to an unreadable address` };
    const refusal = addressRefusal(address, policy);
    if (refusal)
      return {
        allowed: false,
        reason: `host ${host} resolves to ${refusal.replace(/^address /, '')}`,
      };
    parsed.push(address);
  }
  return { allowed: true, addresses: parsed };
}
