import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { jetstreamManager } from '@nats-io/jetstream';
import { releaseEventSubjects } from '@convergio/messaging';
import { connectTestNats, deleteTestStream, TEST_NATS_URL } from '@convergio/testing';
import { runProvisioning } from './run-provisioning.js';

/** One run of the provisioning step with `env`: its exit status and what it printed. */
async function provision(env: Record<string, string>) {
  const out = new PassThrough();
  const err = new PassThrough();
  const code = await runProvisioning(env, out, err);
  return { code, out: String(out.read() ?? ''), err: String(err.read() ?? '') };
}

describe('the provisioning step (on the development server, without auth)', () => {
  const prefix = `test_${randomUUID().slice(0, 8)}`;
  const stream = `${prefix}_EVENTS`;
  const env = { NATS_URL: TEST_NATS_URL, BUS_PREFIX: prefix };
  const count = releaseEventSubjects(prefix).length;

  afterAll(() => deleteTestStream(stream));

  it('creates the stream, then finds it current', async () => {
    expect(await provision(env)).toEqual({
      code: 0,
      out: `created the event stream ${stream} with the ${count} event subjects and the limits of this release\n`,
      err: '',
    });
    expect((await provision(env)).out).toBe(
      `the event stream ${stream} already has the ${count} event subjects and the limits of this release\n`,
    );
  });

  it('says what it added and removed', async () => {
    const nc = await connectTestNats();
    try {
      const jsm = await jetstreamManager(nc);
      const { config } = await jsm.streams.info(stream);
      await jsm.streams.update(stream, {
        subjects: [
          ...config.subjects.filter((s) => s !== `${prefix}.plugin.crashed.executor`),
          '_INBOX.>',
        ],
      });
    } finally {
      await nc.close();
    }
    expect((await provision(env)).out).toBe(
      `updated the event stream ${stream} to the ${count} event subjects and the limits of this release; added: ${prefix}.plugin.crashed.executor; removed: _INBOX.>\n`,
    );
  });

  it('exits 1 naming a bad variable, without its secret value', async () => {
    const run = await provision({ ...env, NATS_USER: 'provisioner', NATS_NKEY_SEED: 'hunter2' });
    expect(run).toMatchObject({ code: 1, out: '' });
    expect(run.err).toMatch(/^provisioner: Invalid configuration/);
    expect(run.err).toContain('NATS_NKEY_SEED');
    expect(run.err).not.toContain('hunter2');
  });

  it('exits 1 when the server cannot be reached', async () => {
    const run = await provision({ ...env, NATS_URL: 'nats://127.0.0.1:1' });
    expect(run).toMatchObject({ code: 1, out: '' });
    expect(run.err).toMatch(/^provisioner: /);
  });
});
