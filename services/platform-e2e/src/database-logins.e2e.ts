import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import pg from 'pg';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AUDIT_OWNER,
  createTestDatabase,
  expectEventually,
  ROOT,
  serviceLogin,
  serviceMain,
  SERVICES,
  startPlatform,
  type PlatformInfo,
} from '@convergio/testing';
import { api, bearer, createKey } from './support/fixtures.js';

/** A table of each service's schema, and its owner's login. */
const TABLES: Record<string, string> = {
  gateway: 'gateway.api_keys',
  registry: 'registry.plugins',
  verification: 'verification.verifications',
  approval: 'approval.approvals',
  executor: 'executor.deployments',
  'secret-broker': 'secret_broker.signing_keys',
  audit: 'audit.events',
};

/**
 * Each service works as its own PostgreSQL login (deploy/postgres/logins.sql, as startPlatform
 * applies it): none reads another's tables, and the audit service's login cannot change its log
 * by any path around the append-only triggers (issue 11: "the audit service's database role
 * cannot update or delete").
 */
describe('database logins per service', () => {
  let platform: Awaited<ReturnType<typeof startPlatform>>;
  let info: PlatformInfo;
  const clients: pg.Client[] = [];

  beforeAll(async () => {
    platform = await startPlatform();
    info = platform.info;
    process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(info);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()));
    await platform?.stop();
  });

  /** A connection to the platform's database as `login`. */
  async function connectAs(login: string): Promise<pg.Client> {
    const url = new URL(info.databaseUrl);
    url.username = login;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    clients.push(client);
    return client;
  }

  /** The SQLSTATE a statement fails with (null when it succeeds). */
  const failure = (client: pg.Client, sql: string) =>
    client.query(sql).then(
      () => null,
      (e: { code?: string }) => e.code ?? 'unknown',
    );

  it('lets no service login read or write the tables of another service', async () => {
    for (const service of SERVICES) {
      const client = await connectAs(serviceLogin(service));
      for (const [owner, table] of Object.entries(TABLES)) {
        if (owner === service) continue;
        expect([service, table, await failure(client, `SELECT 1 FROM ${table} LIMIT 1`)]).toEqual([
          service,
          table,
          '42501',
        ]);
      }
    }
    // A bystander: the gateway still reads its own keys and serves requests.
    const gateway = await connectAs(serviceLogin('gateway'));
    expect(
      (await gateway.query('SELECT count(*)::int AS n FROM gateway.api_keys')).rows[0].n,
    ).toBeGreaterThan(0);
  });

  it("refuses the audit service's login every way around the append-only rule", async () => {
    const auditor = await createKey('auditor');
    const audit = await connectAs(serviceLogin('audit'));
    await expectEventually(async () =>
      expect(
        (await audit.query('SELECT count(*)::int AS n FROM audit.events')).rows[0].n,
      ).toBeGreaterThan(0),
    );
    const attempts = [
      'UPDATE audit.events SET data = data',
      'DELETE FROM audit.events',
      'TRUNCATE audit.events',
      'ALTER TABLE audit.events DISABLE TRIGGER ALL',
      'DROP TRIGGER events_append_only ON audit.events',
      'DROP TABLE audit.events',
      'ALTER TABLE audit.events RENAME TO old_events',
      'CREATE TABLE audit.shadow (x int)',
      'SET ROLE convergio_audit_owner',
      'GRANT convergio_audit_owner TO convergio_audit',
      'RESET ROLE; UPDATE audit.events SET data = data',
      "SET session_replication_role = 'replica'",
    ];
    for (const sql of attempts) expect([sql, await failure(audit, sql)]).not.toEqual([sql, null]);
    expect(await failure(audit, 'UPDATE audit.events SET data = data')).toBe('42501');
    // Nothing changed: the chain verifies, and the log still takes new records.
    const verified = await api().get('/v1/audit/verify').set(bearer(auditor)).expect(200);
    expect(verified.body).toMatchObject({ ok: true, first_broken: null });
    await createKey('invoker');
    await expectEventually(async () => {
      const res = await api()
        .get('/v1/audit?type=api_key.created')
        .set(bearer(auditor))
        .expect(200);
      expect((res.body as { events: unknown[] }).events.length).toBeGreaterThanOrEqual(2);
    });
  });

  it('will not start the audit service on a login that owns the log, unless told it is development', async () => {
    const owner = new URL(info.databaseUrl);
    owner.username = 'convergio_audit_owner';
    const refused = await runAudit({ DATABASE_URL: owner.toString() }, 'exit');
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(
      'DATABASE_URL: expected a login that is only a member of convergio_audit_writer',
    );
    expect(refused.output).toContain('got a login that can change the audit log');
    expect(refused.output).toContain('AUDIT_ALLOW_OWNER_LOGIN');
    // What the operator must do, not a stack trace.
    expect(refused.output).not.toMatch(/^\s+at /m);
    const superuser = await runAudit({ DATABASE_URL: info.databaseUrl }, 'exit');
    expect(superuser.code).toBe(1);
    expect(superuser.output).toContain('superuser');

    const allowed = await runAudit(
      { DATABASE_URL: owner.toString(), AUDIT_ALLOW_OWNER_LOGIN: 'true' },
      'ready',
    );
    expect(allowed.output).toContain('AUDIT_ALLOW_OWNER_LOGIN is on');
    // The platform's own audit service kept serving meanwhile.
    await api()
      .get('/v1/audit/verify')
      .set(bearer(await createKey('auditor')))
      .expect(200);
  });

  it("gives the running audit service no owner's credential: the owner migrates in a deploy step", async () => {
    const environ = await readFile(`/proc/${platform.pid('audit')}/environ`, 'utf8');
    expect(environ).toContain(
      `DATABASE_URL=${new URL(info.databaseUrl).protocol}//${serviceLogin('audit')}@`,
    );
    expect(environ).not.toContain(AUDIT_OWNER);
    expect(environ).not.toMatch(/postgres:\/\/postgres@/);

    // On a database whose audit schema the owner has not migrated, the service stops and says why.
    const fresh = await createTestDatabase('unmigrated');
    try {
      const admin = new pg.Client({ connectionString: fresh.url });
      await admin.connect();
      await admin.query(await readFile(join(ROOT, 'deploy/postgres/logins.sql'), 'utf8'));
      await admin.end();
      const url = new URL(fresh.url);
      url.username = serviceLogin('audit');
      const refused = await runAudit({ DATABASE_URL: url.toString() }, 'exit');
      expect(refused.code).toBe(1);
      expect(refused.output).toContain('node services/audit/dist/migrate.js');
      // The writer could not have created it either: nothing was made.
      const check = new pg.Client({ connectionString: fresh.url });
      await check.connect();
      expect((await check.query("SELECT to_regclass('audit.events') AS t")).rows[0].t).toBeNull();
      await check.end();
    } finally {
      await fresh.drop();
    }
  });

  /** Runs one more audit process with `env` until it exits, or until it is ready (then stops it). */
  async function runAudit(env: Record<string, string>, until: 'exit' | 'ready') {
    const port = await freePort();
    const child = spawn(process.execPath, [serviceMain('audit')], {
      env: {
        PATH: process.env.PATH,
        NATS_URL: info.natsUrl,
        BUS_PREFIX: info.busPrefix,
        PORT: String(port),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (until === 'exit') return { code: await exited, output };
    try {
      await expectEventually(
        async () => expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200),
        { timeoutMs: 60_000, intervalMs: 200 },
      );
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    return { code: null, output };
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
