import { ConfigError } from '@convergio/config';
import { BusLimits, checkFitsBus } from '@convergio/messaging';
import { gatewayBusBounds, GatewayLimitsEnv, type GatewayLimits } from './gateway.config.js';

const MiB = 1024 * 1024;
const nats = new BusLimits(MiB, true);
const defaults = Object.fromEntries(
  Object.entries(GatewayLimitsEnv).map(([name, schema]) => [name, schema.default]),
) as GatewayLimits;

describe('the gateway limits against the bus', () => {
  it('default to sizes that fit the NATS default max_payload', () => {
    expect(() => checkFitsBus(gatewayBusBounds(defaults), nats)).not.toThrow();
  });

  it('refuses an invoke and a manifest limit over max_payload together, naming each, what it carries and the max_payload', () => {
    let error: unknown;
    try {
      checkFitsBus(
        gatewayBusBounds({
          ...defaults,
          GATEWAY_MAX_INVOKE_BYTES: 2 * MiB,
          GATEWAY_MAX_MANIFEST_BYTES: 4 * MiB,
          // The module and the SBOM never travel on the bus: any size is theirs to set.
          GATEWAY_MAX_MODULE_BYTES: 64 * MiB,
          GATEWAY_MAX_SBOM_BYTES: 64 * MiB,
        }),
        nats,
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { issues, message } = error as ConfigError;
    expect(issues.map((i) => [i.variable, i.received])).toEqual([
      ['GATEWAY_MAX_INVOKE_BYTES', String(2 * MiB)],
      ['GATEWAY_MAX_MANIFEST_BYTES', String(4 * MiB)],
    ]);
    expect(message).toContain('an invoke or invoke-batch body (sent on to the executor');
    expect(message).toContain('a plugin.json (sent on to the registry');
    expect(message).toContain(`at most ${nats.replyBudget} bytes`);
    expect(message).toContain(`NATS server's max_payload, ${MiB} bytes`);
  });

  it('takes any limit in standalone mode, where no message size is enforced', () => {
    expect(() =>
      checkFitsBus(
        gatewayBusBounds({ ...defaults, GATEWAY_MAX_INVOKE_BYTES: 64 * MiB }),
        new BusLimits(),
      ),
    ).not.toThrow();
  });
});
