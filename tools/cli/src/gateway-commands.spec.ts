import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aManifest, exampleModule, runBuiltCli } from '@convergio/testing';

// The built binary against a fake gateway in this process: what it sends, and how each kind of
// answer ends (the real platform is driven by services/platform-e2e/src/cli.e2e.ts).

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}
type Answer = (req: Seen) => { status: number; body: unknown };

let server: Server;
let url: string;
let seen: Seen[];
let answer: Answer;
let dir: string;
const module = exampleModule('greet.wasm');
const KEY = 'cvg_test_key';

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      seen.push(request);
      const { status, body } = answer(request);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  seen = [];
  answer = () => ({ status: 500, body: { error: { code: 'internal', message: 'unset' } } });
  dir = mkdtempSync(join(tmpdir(), 'cvg-cli-gw-'));
  mkdirSync(join(dir, 'pkg'));
  writeFileSync(join(dir, 'pkg/plugin.json'), JSON.stringify(aManifest({}, module)));
  writeFileSync(join(dir, 'pkg/greet.wasm'), module);
});

const cli = (args: string[], env: Record<string, string> = {}) =>
  runBuiltCli(args, { cwd: dir, env: { CONVERGIO_URL: url, CONVERGIO_API_KEY: KEY, ...env } });

const refusal =
  (status: number, code: string, message = `${code} said`) =>
  () => ({
    status,
    body: { error: { code, message, details: [] } },
  });

/** What a `?wait` answer adds for a version an executor loaded. */
const loaded = { loaded: true, load_failure: null, policy_violations: [], settled: true };

describe('submit', () => {
  it('uploads the package as multipart with the key and ?wait, and prints the settled status', async () => {
    answer = () => ({
      status: 202,
      body: { plugin_id: 'example.greet', version: '1.0.0', status: 'approved', ...loaded },
    });
    const run = await cli(['submit', 'pkg', '--wait', '30']);
    expect(run).toMatchObject({
      code: 0,
      stdout: 'example.greet 1.0.0: approved\n  loaded: yes\n',
    });
    expect(run.stderr).toMatch(/^uploaded \d+\.\d KiB in \d+\.\d s, waiting for the gateway\n/);
    const [request] = seen;
    expect(request).toMatchObject({ method: 'POST', url: '/v1/plugins?wait=30' });
    expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
    const form = await new Response(new Uint8Array(request.body), {
      headers: { 'content-type': request.headers['content-type']! },
    }).formData();
    expect(Buffer.from(await (form.get('module') as File).arrayBuffer())).toEqual(module);
    expect(JSON.parse(await (form.get('manifest') as File).text())).toMatchObject({
      id: 'example.greet',
    });
    expect(form.get('sbom')).toBeNull();
  });

  it('a rejected version prints its findings and exits 1; --json keeps stdout one document', async () => {
    answer = (req) =>
      req.method === 'POST'
        ? {
            status: 202,
            body: { plugin_id: 'example.greet', version: '1.0.0', status: 'rejected' },
          }
        : {
            status: 200,
            body: {
              findings: [
                {
                  code: 'core_version_incompatible',
                  message: 'needs 99.0.0',
                  path: '/min_core_version',
                },
              ],
            },
          };
    const human = await cli(['submit', 'pkg', '--wait', '30']);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(
      'core_version_incompatible: needs 99.0.0 (at /min_core_version)',
    );
    expect(human.stderr).toContain('convergio: rejected: example.greet 1.0.0 was rejected');
    const json = await cli(['submit', 'pkg', '--wait', '30', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 'rejected',
      findings: [{ code: 'core_version_incompatible' }],
    });
  });

  it('an approved version whose load failed exits 6 with the reason; --json carries it', async () => {
    answer = () => ({
      status: 202,
      body: {
        plugin_id: 'example.greet',
        version: '1.0.0',
        status: 'approved',
        ...loaded,
        loaded: false,
        load_failure: { reason: 'trap', message: 'unreachable', at: '2026-01-01T00:00:00Z' },
      },
    });
    const human = await cli(['submit', 'pkg', '--wait', '5']);
    expect(human.code).toBe(6);
    expect(human.stdout).toBe(
      'example.greet 1.0.0: approved\n  loaded: no\n  load failed: trap: unreachable\n',
    );
    expect(human.stderr).toContain(
      'convergio: not_loaded: example.greet 1.0.0 was approved but did not load: trap: unreachable',
    );
    const json = await cli(['submit', 'pkg', '--wait', '5', '--json']);
    expect(json.code).toBe(6);
    expect(JSON.parse(json.stdout)).toMatchObject({
      loaded: false,
      load_failure: { reason: 'trap' },
    });
  });

  it.each([
    [
      'an approved version that no executor ran',
      'approved',
      '5',
      'example.greet 1.0.0 is approved but no executor runs it after 5 s',
    ],
    [
      'a version that did not settle',
      'verified',
      '1',
      'example.greet 1.0.0 is still verified after 1 s',
    ],
  ])('%s before the wait ran out exits 5', async (_what, status, wait, message) => {
    answer = () => ({
      status: 202,
      body: {
        plugin_id: 'example.greet',
        version: '1.0.0',
        status,
        ...loaded,
        loaded: false,
        settled: false,
      },
    });
    const run = await cli(['submit', 'pkg', '--wait', wait]);
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(`convergio: wait_expired: ${message}`);
  });

  it('a package that is not complete is refused before any request (exit 4)', async () => {
    writeFileSync(join(dir, 'pkg/greet.wasm'), 'changed');
    expect((await cli(['submit', 'pkg'])).code).toBe(4);
    expect(seen).toEqual([]);
  });
});

describe('the key, the gateway and its refusals', () => {
  it('no API key is a usage error before any request, saying where to put one', async () => {
    const run = await cli(['status', 'example.greet'], { CONVERGIO_API_KEY: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('convergio: no_api_key: no API key given');
    expect(run.stderr).toContain('hint: set CONVERGIO_API_KEY, or pass --key-file');
    expect(seen).toEqual([]);
  });

  it('--key-file is read (and beats the variable); with --key too it is a usage error', async () => {
    writeFileSync(join(dir, 'admin-key'), 'cvg_from_file\n');
    answer = () => ({
      status: 200,
      body: {
        plugin_id: 'a.b',
        name: 'A',
        owner: 'x',
        serving_version: null,
        versions: [],
        next_cursor: null,
      },
    });
    expect((await cli(['status', 'a.b', '--key-file', 'admin-key'])).code).toBe(0);
    expect(seen[0].headers.authorization).toBe('Bearer cvg_from_file');
    expect((await cli(['status', 'a.b', '--key-file', 'admin-key', '--key', 'k'])).code).toBe(2);
  });

  it.each([
    [401, 'unauthorized', 1, 'set CONVERGIO_API_KEY'],
    [404, 'not_found', 1, 'convergio status <plugin-id>'],
    [409, 'invalid_state', 1, 'shows where it stands'],
    [503, 'unavailable', 3, 'retry'],
  ])(
    'HTTP %i %s exits %i with the code, the message and a hint',
    async (status, code, exit, hint) => {
      answer = refusal(status, code);
      const run = await cli(['status', 'example.greet', '1.0.0']);
      expect(run.code).toBe(exit);
      expect(run.stderr).toContain(`convergio: ${code}: ${code} said\nhint: `);
      expect(run.stderr).toContain(hint);
      const json = await cli(['status', 'example.greet', '1.0.0', '--json']);
      expect(JSON.parse(json.stdout)).toMatchObject({ error: { code, exit_code: exit } });
    },
  );

  it('nothing listening exits 3 and says to start the platform or fix --url', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const run = await cli(['status', 'example.greet'], {
      CONVERGIO_URL: `http://127.0.0.1:${port}`,
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('convergio: gateway_unreachable: nothing answers at');
    expect(run.stderr).toContain('hint: start the platform (npm start), or point --url');
  });
});

describe('invoke, approve and audit send what the gateway takes', () => {
  it('invoke reads --input from a file and prints the output', async () => {
    writeFileSync(join(dir, 'input.json'), '{"name": "Ada"}');
    answer = () => ({
      status: 200,
      body: {
        plugin_id: 'example.greet',
        version: '1.0.0',
        function: 'greet',
        output: { greeting: 'Hello, Ada!' },
        duration_ms: 1,
      },
    });
    const run = await cli([
      'invoke',
      'example.greet',
      'greet',
      '--input',
      '@input.json',
      '--plugin-version',
      '1.0.0',
    ]);
    expect(run).toMatchObject({ code: 0, stdout: '{\n  "greeting": "Hello, Ada!"\n}\n' });
    expect(seen[0].url).toBe('/v1/plugins/example.greet/invoke');
    expect(JSON.parse(seen[0].body.toString())).toEqual({
      function: 'greet',
      input: { name: 'Ada' },
      version: '1.0.0',
    });
  });

  it('invoke refuses --input that is not JSON before any request (exit 4)', async () => {
    const run = await cli(['invoke', 'example.greet', 'greet', '--input', '{name: Ada}']);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('convergio: input_invalid_json: ');
    expect(seen).toEqual([]);
  });

  it('approve --wait exits 5 when no executor runs the version after the wait', async () => {
    answer = () => ({
      status: 200,
      body: {
        plugin_id: 'example.greet',
        version: '1.1.0',
        status: 'approved',
        trust: 'trusted',
        note: 'ok',
        ...loaded,
        loaded: false,
        settled: false,
      },
    });
    const run = await cli([
      'approve',
      'example.greet',
      '1.1.0',
      '--trust',
      'trusted',
      '--note',
      'ok',
      '--wait',
      '2',
    ]);
    expect(run.code).toBe(5);
    expect(seen[0].url).toBe('/v1/approvals/example.greet/1.1.0/approve?wait=2');
    expect(JSON.parse(seen[0].body.toString())).toEqual({ note: 'ok', trust: 'trusted' });
    expect(run.stderr).toContain('convergio: wait_expired: ');
    expect(seen).toHaveLength(1);
  });

  it('approve --wait exits 6 when the approved version breaks the grant policy', async () => {
    answer = () => ({
      status: 200,
      body: {
        plugin_id: 'example.greet',
        version: '1.1.0',
        status: 'approved',
        trust: 'untrusted',
        note: null,
        ...loaded,
        loaded: false,
        policy_violations: [{ code: 'policy_violation', message: 'outside the roots' }],
      },
    });
    const run = await cli(['approve', 'example.greet', '1.1.0', '--wait', '2']);
    expect(run.code).toBe(6);
    expect(run.stdout).toContain('policy_violation: outside the roots');
    expect(run.stderr).toContain("breaks the operator's grant policy");
  });

  it('audit maps its flags to the query and names the cursor of the next page', async () => {
    answer = () => ({
      status: 200,
      body: {
        events: [
          {
            seq: 7,
            occurred_at: '2026-01-01T00:00:00.000Z',
            type: 'plugin.approved',
            source: 'approval',
            plugin_id: 'example.greet',
            version: '1.0.0',
          },
        ],
        next_after_seq: 7,
        next_cursor: 'YTEuNw',
      },
    });
    const run = await cli([
      'audit',
      '--plugin',
      'example.greet',
      '--type',
      'plugin.approved',
      '--limit',
      '1',
      '--cursor',
      'YTEuMw',
    ]);
    expect(run.code).toBe(0);
    expect(seen[0].url).toBe(
      '/v1/audit?plugin_id=example.greet&type=plugin.approved&cursor=YTEuMw&limit=1',
    );
    expect(run.stdout).toMatch(
      /^ +7 {2}2026-01-01T00:00:00.000Z {2}plugin.approved +example.greet 1.0.0 {2}\(approval\)\n$/,
    );
    expect(run.stderr).toContain('more events follow: add --cursor YTEuNw');
  });

  it('audit --after starts after a sequence number; with --cursor it is a usage error', async () => {
    answer = () => ({
      status: 200,
      body: { events: [], next_after_seq: null, next_cursor: null },
    });
    const run = await cli(['audit', '--after', '3', '--limit', '1']);
    expect(run.code).toBe(0);
    expect(seen[0].url).toBe('/v1/audit?after_seq=3&limit=1');
    expect(run.stderr).not.toContain('more events follow');
    const both = await cli(['audit', '--after', '3', '--cursor', 'YTEuMw']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--cursor');
    expect(seen).toHaveLength(1);
  });
});

describe('text the platform answers with', () => {
  // A publisher's manifest name, a plugin's output, a finding: none may act on the terminal.
  const HOSTILE = '\u001b[2J\u001b[31mRED\r\nPWNED\u009b\u202e';
  const SHOWN = '\\u001b[2J\\u001b[31mRED\\u000d\\u000aPWNED\\u009b\\u202e';
  const ACTING = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

  it('status prints a plugin name with escapes and line breaks made visible', async () => {
    answer = () => ({
      status: 200,
      body: {
        plugin_id: 'example.greet',
        name: HOSTILE,
        owner: 'acme',
        serving_version: '1.0.0',
        versions: [{ version: '1.0.0', status: 'approved', loaded: true }],
        next_cursor: null,
      },
    });
    const run = await cli(['status', 'example.greet']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `example.greet (${SHOWN}), owner acme, serving 1.0.0\n  1.0.0    approved          loaded\n`,
    );
  });

  it('invoke output, findings and error messages show their controls as \\u escapes', async () => {
    answer = () => ({
      status: 200,
      body: { plugin_id: 'p', version: '1.0.0', function: 'f', output: HOSTILE, duration_ms: 1 },
    });
    const invoked = await cli(['invoke', 'p', 'f', '--input', '{}']);
    expect(invoked.stdout).toBe(`"\\u001b[2J\\u001b[31mRED\\r\\nPWNED\\u009b\\u202e"\n`);
    answer = refusal(404, 'not_found', HOSTILE);
    const refused = await cli(['status', 'p']);
    expect(refused.stderr).toContain(`convergio: not_found: ${SHOWN}`);
    for (const run of [invoked, refused]) expect(`${run.stdout}${run.stderr}`).not.toMatch(ACTING);
  });
});
