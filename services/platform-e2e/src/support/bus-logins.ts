import { PermissionViolationError, type NatsConnection } from '@nats-io/transport-node';
import { connectNatsBus } from '@convergio/messaging';
import {
  expectEventually,
  startConfiguredNats,
  type ConfiguredNatsServer,
  type PlatformBus,
} from '@convergio/testing';

/** The bus prefix deploy/nats/nats.conf names in its permissions. */
export const PREFIX = 'convergio';
/** The service that logs in with an NKEY seed instead of a password. */
export const NKEY_SERVICE = 'executor';

/**
 * A nats-server run with deploy/nats/nats.conf, and the logins of its users: each service's
 * environment for the platform, connections made as a service, the server's violation records.
 */
export class BusLogins {
  private readonly connections: NatsConnection[] = [];

  private constructor(readonly server: ConfiguredNatsServer) {}

  static async start(): Promise<BusLogins> {
    return new BusLogins(await startConfiguredNats([NKEY_SERVICE]));
  }

  /** What startPlatform needs to run every service on this server with its own credentials. */
  platformBus(): PlatformBus {
    return {
      natsUrl: this.server.url,
      busPrefix: PREFIX,
      serviceEnv: (service): Record<string, string> =>
        service === NKEY_SERVICE
          ? { NATS_NKEY_SEED: this.server.nkeys[service].seed }
          : { NATS_PASSWORD: this.server.passwords[service] },
    };
  }

  /** A connection with a service's own credentials and inbox prefix, as the service makes it. */
  async as(service: string): Promise<NatsConnection> {
    const nc = await connectNatsBus({
      url: this.server.url,
      service,
      prefix: PREFIX,
      credentials:
        service === NKEY_SERVICE
          ? { nkeySeed: this.server.nkeys[service].seed }
          : { user: service, password: this.server.passwords[service] },
    });
    this.connections.push(nc);
    return nc;
  }

  /**
   * The server's record of a refusal: nats-server logs every violation with the user (an NKEY
   * user by its public key) and subject.
   */
  async expectLogged(kind: 'Publish' | 'Subscription', service: string, subject: string) {
    const user =
      service === NKEY_SERVICE
        ? `Nkey "${this.server.nkeys[service].publicKey}"`
        : `User "${service}"`;
    await expectEventually(() =>
      expect(this.server.log()).toContain(`${kind} Violation - ${user}, Subject "${subject}"`),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.connections.map((nc) => nc.close()));
    await this.server.stop();
  }
}

/** The refusal itself: a permissions violation naming the operation and subject. */
export async function expectViolation(
  attempt: Promise<unknown>,
  operation: 'publish' | 'subscription',
  subject: string,
) {
  const error: unknown = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  const violation = error instanceof PermissionViolationError ? error : (error as Error)?.cause;
  expect(violation).toBeInstanceOf(PermissionViolationError);
  expect(violation).toMatchObject({ operation, subject });
}
