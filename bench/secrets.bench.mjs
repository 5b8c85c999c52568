// secret_get's bus round trip through the broker (token signature, expiry, audience and scope
// checked, the grant looked up, the value decrypted from the embedded store, secret.accessed
// stored in JetStream) against a bare NATS request/reply echo of the same payload, in the same run.
// And the check of one telemetry event of a plugin that was handed 1024 values (the most the
// executor remembers per version), against the same event of a plugin that was handed none.
import { randomBytes, randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import {
  aManifest,
  createPublisherKey,
  exampleModule,
  expectEventually,
  sha256Hex,
  startPlatform,
  TEST_NATS_URL,
} from '../libs/testing/dist/index.js';
import { checkTelemetryEvent, ReleasedSecretScrubber } from '../libs/policy/dist/index.js';
import { compare } from './lib/stats.mjs';
import { record } from './lib/results.mjs';

const ITERATIONS = Number(process.env.BENCH_SECRET_ITERATIONS ?? 300);

/** Approves a plugin granted `db-password` (stored through the gateway) and returns its module hash. */
async function grantedPlugin(info) {
  const auth = { Authorization: `Bearer ${info.adminKey}`, 'Content-Type': 'application/json' };
  const put = await fetch(`${info.gatewayUrl}/v1/secrets/db-password`, {
    method: 'PUT',
    headers: auth,
    body: JSON.stringify({ value: 'bench-Secret-Value-123' }),
  });
  if (put.status !== 200) throw new Error(`PUT secret failed: ${put.status} ${await put.text()}`);
  const module = exampleModule('hostile.wasm');
  const manifest = aManifest(
    {
      id: 'bench.secrets',
      entrypoint: 'hostile.wasm',
      capabilities: {
        tools: [{ name: 'ping', function: 'ping', description: 'ping', input_schema: {} }],
      },
      permissions: { 'secrets.read': { ids: ['db-password'] } },
    },
    module,
  );
  const publisher = await createPublisherKey(info.gatewayUrl, info.adminKey, 'bench');
  const form = new FormData();
  form.append('manifest', new Blob([JSON.stringify(manifest)]), 'plugin.json');
  form.append('module', new Blob([module]), 'hostile.wasm');
  const submitted = await fetch(`${info.gatewayUrl}/v1/plugins`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${publisher}` },
    body: form,
  });
  if (submitted.status !== 202) throw new Error(`submit failed: ${submitted.status}`);
  await expectEventually(
    async () => {
      const res = await fetch(`${info.gatewayUrl}/v1/approvals/bench.secrets/1.0.0/approve`, {
        method: 'POST',
        headers: auth,
        body: '{}',
      });
      if (res.status !== 200) throw new Error(`not pending yet: ${res.status}`);
    },
    { timeoutMs: 30_000 },
  );
  return sha256Hex(module);
}

/** A request envelope as the executor's bus client sends it. */
const envelope = (type, data) => {
  const id = randomUUID();
  return JSON.stringify({
    id,
    type,
    version: 1,
    occurred_at: new Date().toISOString(),
    source: 'executor',
    correlation_id: id,
    data,
  });
};

/** The executor checks each event with the scrubber it keeps per version (SecretAccess). */
async function telemetryRedaction() {
  const released = Array.from({ length: 1024 }, () => randomBytes(24).toString('base64url'));
  const event = {
    name: 'tool.used',
    value: 3,
    attributes: Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [`key${i}`, `the value of attribute ${i}`]),
    ),
  };
  const kept = new ReleasedSecretScrubber(released);
  const none = new ReleasedSecretScrubber([]);
  const { a, b } = await compare(
    () => checkTelemetryEvent(event, kept),
    () => checkTelemetryEvent(event, none),
    { iterations: 500 },
  );
  record('telemetry_event_1024_released', a, 'us');
  record('telemetry_event_none_released', b, 'us');
  record('telemetry_event_1024_vs_none_released_ratio', a / b, 'x');
}

export async function run() {
  await telemetryRedaction();
  const { info, stop } = await startPlatform();
  const nc = await connect({ servers: TEST_NATS_URL });
  try {
    const sha = await grantedPlugin(info);
    const subject = (s) => `${info.busPrefix}.${s}`;
    const token = await expectEventually(
      async () => {
        const reply = (
          await nc.request(
            subject('secrets.token.issue'),
            envelope('secrets.token.issue', {
              plugin_id: 'bench.secrets',
              version: '1.0.0',
              module_sha256: sha,
            }),
            { timeout: 10_000 },
          )
        ).json();
        if (!reply.ok) throw new Error(JSON.stringify(reply));
        return reply.data.token;
      },
      { timeoutMs: 30_000 },
    );
    const read = envelope('secrets.read', {
      token,
      plugin_id: 'bench.secrets',
      version: '1.0.0',
      secret_id: 'db-password',
    });
    const secretGet = async () => {
      const reply = (await nc.request(subject('secrets.read'), read, { timeout: 10_000 })).json();
      if (!reply.ok || reply.data.value === undefined) throw new Error(JSON.stringify(reply));
    };
    const echoSubject = `bench.secret-echo.${process.pid}`;
    nc.subscribe(echoSubject, { queue: 'echo', callback: (_e, m) => m.respond(m.data) });
    const echo = () => nc.request(echoSubject, read, { timeout: 10_000 });
    const { a, b } = await compare(secretGet, echo, { warmup: 50, iterations: ITERATIONS });
    record('secret_get_round_trip_p50', a / 1000, 'ms');
    record('nats_request_p50', b / 1000, 'ms');
    record('secret_get_vs_nats_request_ratio', a / b, 'x');
  } finally {
    await nc.close();
    await stop();
  }
}
