// The bare path's gateway: Fastify answering POST /invoke with a NATS request to the bare
// executor, nothing else (no auth, validation, logging or tracing). argv: NATS URL, subject.
import Fastify from 'fastify';
import { connect } from '@nats-io/transport-node';

const [natsUrl, subject] = process.argv.slice(2);
const nc = await connect({ servers: natsUrl });
const app = Fastify();
app.post('/invoke', async (request, reply) => {
  const answer = await nc.request(subject, JSON.stringify(request.body), { timeout: 10_000 });
  reply.type('application/json').send(answer.data);
});
await app.listen({ port: 0, host: '127.0.0.1' });
process.send({ port: app.server.address().port });
process.on('disconnect', () => process.exit(0));
