import { startConfiguredNats, type ConfiguredNatsServer } from '@convergio/testing';
import { provisionEventStream } from './event-stream.js';
import { openNatsConnection } from './nats-connection.js';

/**
 * A nats-server run with deploy/nats/nats.conf whose event stream (prefix `convergio`) the
 * provisioning step has defined, as at a deployment: services logged in as themselves only
 * check it.
 */
export async function startProvisionedNats(): Promise<ConfiguredNatsServer> {
  const server = await startConfiguredNats();
  const provisioner = await openNatsConnection({
    url: server.url,
    name: 'provisioner',
    credentials: { user: 'provisioner', password: server.passwords.provisioner },
  });
  await provisionEventStream(provisioner, 'convergio');
  await provisioner.close();
  return server;
}
