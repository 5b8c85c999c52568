import type { NetPolicy } from '../net/address-class.js';
import type { GrantPolicy } from './grant-policy.js';
import { netDenials } from './check-net-grants.js';

/**
 * The NetPolicy one plugin's network host calls obey: private networks when the operator
 * allows them for every plugin or lists this plugin in `network.private_network_plugins`;
 * the policy's denied hosts, suffixes and ranges always. Plain JSON.
 */
export function netPolicyFor(
  policy: GrantPolicy,
  pluginId: string,
  allowPrivateNetworksGlobally: boolean,
): NetPolicy {
  return {
    allowPrivateNetworks:
      allowPrivateNetworksGlobally || policy.network.private_network_plugins.includes(pluginId),
    denied: netDenials(policy),
  };
}
