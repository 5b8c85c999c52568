import { PermissionViolationError, type NatsConnection } from '@nats-io/transport-node';
import { connectNatsBus, openNatsConnection, type NatsCredentials } from '@convergio/messaging';
import {
  expectEventually,
  runMain,
  startConfiguredNats,
  type ProcessRun,
  type ConfiguredNatsServer,
  type PlatformBus,
} from '@convergio/testing';

/** The bus prefix deploy/nats/nats.conf names in its permissions. */
export const PREFIX = 'convergio';
/** The service that logs in with an NKEY seed instead of a password. */
export const NKEY_SERVICE = 'executor';
/** The NATS user of the deploy step that alone defines the event stream. */
export const PROVISIONER = 'provisioner';

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

  /** A server ready for the services: started, then the provisioning step run, as at deploy. */
  static async provisioned(): Promise<BusLogins> {
    const logins = await BusLogins.start();
    const run = await logins.provision();
    if (run.code !== 0) {
      await logins.stop();
      throw new Error(`the provisioning step failed (${run.code}):\n${run.output}`);
    }
    return logins;
  }

  /** What startPlatform needs to run every service on this server with its own credentials. */
  platformBus(): PlatformBus {
    return {
      natsUrl: this.server.url,
      busPrefix: PREFIX,
      serviceEnv: (service) => this.env(service),
    };
  }

  /** The environment that logs a process in as `user` (NATS_PASSWORD or NATS_NKEY_SEED). */
  env(user: string): Record<string, string> {
    return user === NKEY_SERVICE
      ? { NATS_NKEY_SEED: this.server.nkeys[user].seed }
      : { NATS_PASSWORD: this.server.passwords[user] };
  }

  private credentials(user: string): NatsCredentials {
    return user === NKEY_SERVICE
      ? { nkeySeed: this.server.nkeys[user].seed }
      : { user, password: this.server.passwords[user] };
  }

  /**
   * A connection with a service's own credentials and inbox prefix, as the service makes it at
   * boot (the event stream checked): rejects as the service's boot would.
   */
  async as(service: string): Promise<NatsConnection> {
    const nc = await connectNatsBus({
      url: this.server.url,
      service,
      prefix: PREFIX,
      credentials: this.credentials(service),
    });
    this.connections.push(nc);
    return nc;
  }

  /** What a service's boot (its connection, the event stream checked) rejects with, or `booted`. */
  async bootRefusal(service: string): Promise<unknown> {
    return this.as(service).then(
      () => 'booted',
      (error: unknown) => error,
    );
  }

  /** A connection as `user` (its own inbox prefix) that leaves the event stream alone. */
  async raw(user: string): Promise<NatsConnection> {
    const nc = await openNatsConnection({
      url: this.server.url,
      name: user,
      credentials: this.credentials(user),
    });
    this.connections.push(nc);
    return nc;
  }

  /** The deploy step an operator runs before the services: the built provisioner. */
  provision(): Promise<ProcessRun> {
    return runMain('provisioner', {
      NATS_URL: this.server.url,
      BUS_PREFIX: PREFIX,
      ...this.env(PROVISIONER),
    });
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
