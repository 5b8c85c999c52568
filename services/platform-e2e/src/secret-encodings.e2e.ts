import request from 'supertest';
import {
  asciiJsonEscaped,
  expectEventually,
  formEncoded,
  jsonEscaped,
  unicodeEscaped,
} from '@convergio/testing';
import { SecretPlatform } from './support/secret-platform.js';

// Values released to a plugin, spelled as plugins spell them (form and JSON bodies, URLs, log
// lines) or cut by the platform where it bounds what it records, must reach no output: not the
// call's output, not a bus event, not the audit log (append-only: a leak there stays), not a log
// line. Each refusal is still recorded, redacted, and a bystander is still served.

const PLAIN = 'pg-Passw0rd-7f3Kq9ZxLm';
const PASSPHRASE = 'horse battery!staple(9)';
const QUOTED = 'q"uo\\te-Secr3t-K7';
const UMLAUT = 'Pässwörd-ünd-€-7fQ';
const PEM =
  '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----';
const SECRETS = { plain: PLAIN, passphrase: PASSPHRASE, quoted: QUOTED, umlaut: UMLAUT, pem: PEM };
const LEAKY = 'e2e.encoded-leaks';
const BYSTANDER = 'e2e.encoded-bystander';

/** What of a value must appear nowhere: its encodings, and the prefix a cut left of PLAIN. */
function leakForms(value: string): string[] {
  const encodings = [
    value,
    formEncoded(value),
    encodeURIComponent(value),
    encodeURI(value),
    jsonEscaped(value),
    jsonEscaped(jsonEscaped(value)),
    asciiJsonEscaped(value),
    unicodeEscaped(value),
    Buffer.from(value).toString('base64'),
    Buffer.from(value).toString('hex'),
  ];
  // Each as recorded inside JSON (an event, an audit record) and inside a JSON log line.
  return [...new Set(encodings.flatMap((e) => [e, jsonEscaped(e), jsonEscaped(jsonEscaped(e))]))];
}
const CUT_PIECE = PLAIN.slice(0, 14);

describe('released values, however spelled or cut, reach no output', () => {
  let p: SecretPlatform;
  const host = (fn: string, arg: unknown) => p.invoke(LEAKY, 'call_host', { fn, arg });

  beforeAll(async () => {
    p = await SecretPlatform.start({});
    for (const [id, value] of Object.entries(SECRETS))
      await request(p.info.gatewayUrl)
        .put(`/v1/secrets/${id}`)
        .set(p.auth())
        .send({ value })
        .expect(200);
    await p.publishApproved(LEAKY, { 'secrets.read': { ids: Object.keys(SECRETS) } });
    await p.publishApproved(BYSTANDER, { 'secrets.read': { ids: ['plain'] } });
    // Released to the version: the executor scrubs them from all of its later calls.
    for (const id of Object.keys(SECRETS))
      expect((await p.readEventually(LEAKY, id)).body.output).toEqual({ leaked: '[REDACTED]' });
  }, 180_000);

  afterAll(() => p?.stop(), 60_000);

  const bystanderServed = async () => {
    const res = await p.readEventually(BYSTANDER, 'plain');
    expect(res.status).toBe(200);
    expect(res.body.output).toEqual({ leaked: '[REDACTED]' });
  };

  /** The permission.denied records of LEAKY in the audit export, as the export's text. */
  const auditedDenials = async () =>
    (
      await request(p.info.gatewayUrl)
        .get('/v1/audit/export')
        .query({ plugin_id: LEAKY, type: 'permission.denied' })
        .set(p.auth())
        .expect(200)
    ).text;

  // The versions of a plugin share its files. Before: 1.0.0 read the secret and wrote it to a
  // file; 1.0.1, granted no secret, read the file back and answered the value in clear.
  it("scrubs a value one version wrote to the plugin's files from what a later version reads back", async () => {
    const id = 'e2e.file-leaks';
    const files = { paths: ['$PLUGIN_DIR'] };
    await p.publishApproved(id, {
      'secrets.read': { ids: ['plain'] },
      'fs.read': files,
      'fs.write': files,
    });
    await expectEventually(
      async () => {
        const res = await p.invoke(id, 'leak_secret', { id: 'plain', file: '$PLUGIN_DIR/kept' });
        expect(res.body.output).toEqual({ leaked: '[REDACTED]' });
      },
      { timeoutMs: 20_000 },
    );
    await p.publishApproved(id, { 'fs.read': files }, '1.0.1');
    await expectEventually(async () => {
      const res = await p.invoke(id, 'call_host', {
        fn: 'fs_read',
        arg: { path: '$PLUGIN_DIR/kept' },
      });
      expect(res.status).toBe(200);
      expect(res.body.output).toMatchObject({ content: '[REDACTED]' });
    });
    await bystanderServed();
  });

  it('records refusals whose targets spell a value, or were cut in one, redacted', async () => {
    const targets = {
      'a form body in a query': `https://denied-1.example/?q=${formEncoded(PASSPHRASE)}`,
      'a JSON body in a query': `https://denied-2.example/?b=${encodeURIComponent(JSON.stringify({ p: QUOTED, k: PEM }))}`,
      'ASCII-only JSON in a URI': `https://denied-3.example/${encodeURI(`{"p":"${asciiJsonEscaped(UMLAUT)}"}`)}`,
      // The worker keeps 512 characters of a URL: the cut falls 14 characters into the value.
      'a URL cut at 512': `https://denied-4.example/${'a'.repeat(512 - 25 - 14)}${PLAIN}/x`,
    };
    for (const url of Object.values(targets)) {
      const res = await host('http_request', { method: 'GET', url });
      expect(res.body.output).toMatchObject({ error: { code: 'permission_denied' } });
    }
    // The worker keeps 1024 characters of a path or a binary.
    const path = `/${'b'.repeat(1024 - 1 - 14)}${PLAIN}`;
    expect((await host('fs_read', { path })).body.output).toMatchObject({
      error: { code: 'permission_denied' },
    });
    const binary = `/usr/bin/${'c'.repeat(1024 - 9 - 14)}${PLAIN}`;
    expect((await host('proc_exec', { binary, args: [] })).body.output).toMatchObject({
      error: { code: 'permission_denied' },
    });

    const hosts = ['denied-1', 'denied-2', 'denied-3', 'denied-4', 'bbbb', 'cccc'];
    await expectEventually(async () => {
      const audit = await auditedDenials();
      for (const h of hosts) expect(audit).toContain(h);
      const denials = p.events.filter((e) => e.includes('permission.denied'));
      for (const h of hosts) expect(denials.some((e) => e.includes(h))).toBe(true);
    });
    const audit = await auditedDenials();
    // Each recorded, its value replaced where it was.
    expect(audit).toContain(`https://denied-1.example/?q=[REDACTED]`);
    expect(audit).toContain(`https://denied-4.example/${'a'.repeat(512 - 25 - 14)}[REDACTED]`);
    const placeholders = (encoded: string) => encoded.replace(/XX[12]/g, '[REDACTED]');
    expect(audit).toContain(
      placeholders(`?b=${encodeURIComponent(JSON.stringify({ p: 'XX1', k: 'XX2' }))}`),
    );
    expect(audit).toContain(placeholders(`denied-3.example/${encodeURI('{"p":"XX1"}')}`));
    await bystanderServed();
  });

  it("scrubs a plugin's log lines and its refused telemetry, spelled any way or cut", async () => {
    const probes = [
      `form <${formEncoded(PASSPHRASE)}>`,
      `escaped <${unicodeEscaped(PLAIN)}>`,
      `nested <${jsonEscaped(JSON.stringify({ body: JSON.stringify({ p: QUOTED }) }))}>`,
      `ascii <${asciiJsonEscaped(UMLAUT)}>`,
      `pem <${jsonEscaped(PEM)}>`,
    ];
    // One a second: the log's rate limit would drop lines sent faster.
    for (const message of probes) {
      await host('log', { level: 'info', message: `probe ${message}` });
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
    // Longer than the line cap (4096 bytes): the worker cuts it 14 characters into the value.
    await host('log', {
      level: 'info',
      message: `probe cut ${'d'.repeat(4096 - 10 - 14 - 14)}${PLAIN}`,
    });
    const refused = await host('telemetry_emit', {
      name: 'x',
      attributes: { [`q=${formEncoded(PASSPHRASE)}`]: 1 },
    });
    expect(refused.body.output).toMatchObject({ error: { code: 'permission_denied' } });
    const nested = await host('telemetry_emit', {
      name: 'x',
      attributes: { [JSON.stringify({ p: QUOTED })]: 1 },
    });
    expect(nested.text).toContain('[REDACTED]');
    await expectEventually(async () => {
      const logs = await p.logs();
      for (const name of ['form', 'escaped', 'nested', 'ascii', 'pem', 'cut'])
        expect(logs).toMatch(new RegExp(`probe ${name} [^\\n]*\\[REDACTED\\]`));
    });
    await bystanderServed();
  });

  it('lets nothing out: call outputs, bus events, the audit log, service logs', async () => {
    const outputs = {
      'HTTP replies': p.replies.join('\n'),
      'bus events': p.events.join('\n'),
      'audit export': await auditedDenials(),
      logs: await p.logs(),
    };
    expect(outputs['audit export']).toContain('[REDACTED]');
    for (const [where, text] of Object.entries(outputs)) {
      for (const [id, value] of Object.entries(SECRETS))
        for (const leak of leakForms(value))
          expect({ where, id, leak, found: text.includes(leak) }).toEqual({
            where,
            id,
            leak,
            found: false,
          });
      expect({ where, found: text.includes(CUT_PIECE) }).toEqual({ where, found: false });
    }
  });
});
