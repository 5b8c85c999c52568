import type { NatsConnection } from '@nats-io/transport-node';
import { RequestSubjects } from '@convergio/contracts';
import type { ConfiguredNatsServer } from '@convergio/testing';
import { JetStreamBusClient } from './jetstream-bus.client.js';
import { connectNatsBus, type NatsBusOptions } from './nats-connection.js';
import { startProvisionedNats } from './provisioned-nats.spec-helper.js';

// Requests go over one reply subscription of the client's own (ReplyMux), not nats.js's request.
describe('bus requests on a server with per-service permissions', () => {
  let server: ConfiguredNatsServer;
  let nc: NatsConnection;
  let bus: JetStreamBusClient;

  beforeAll(async () => {
    server = await startProvisionedNats();
    const options: NatsBusOptions = {
      url: server.url,
      service: 'gateway',
      prefix: 'convergio',
      credentials: { user: 'gateway', password: server.passwords.gateway },
    };
    nc = await connectNatsBus(options);
    bus = new JetStreamBusClient(nc, options);
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('fails a request its NATS user may not publish at once, and still sends the next', async () => {
    const started = Date.now();
    // Only the executor may ask the secret broker for a secret.
    await expect(
      bus.request(
        RequestSubjects.SecretsRead,
        { token: 't', plugin_id: 'acme.notes', version: '1.0.0', secret_id: 'db' },
        { timeoutMs: 20_000 },
      ),
    ).rejects.toMatchObject({
      code: 'unavailable',
      // In public terms: the refusal itself (naming the bus subject) goes to the log.
      message: 'the secret broker could not be reached on the bus; retry later',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    // A subject it may publish on, that nobody answers here: refused as such, not as the above.
    await expect(
      bus.request(RequestSubjects.AuditQuery, { limit: 1 }, { timeoutMs: 20_000 }),
    ).rejects.toMatchObject({
      code: 'unavailable',
      message: 'the audit service is not running; retry later',
    });
  });
});
