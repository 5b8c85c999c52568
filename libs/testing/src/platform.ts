import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_NAMES } from '@convergio/contracts';
import { expectEventually } from './expect-eventually.js';
import { connectTestNats, deleteTestStream, TEST_NATS_URL } from './nats.js';
import { ROOT, serviceMain } from './run-main.js';
import { applyServiceLogins } from './service-logins.js';
import { createTestDatabase } from './test-database.js';

/** Every service of the platform, each started as its own process. */
export const SERVICES = SERVICE_NAMES;

/** What the e2e suites need to reach the running platform; travels in environment variables. */
export interface PlatformInfo {
  gatewayUrl: string;
  adminKey: string;
  databaseUrl: string;
  busPrefix: string;
  natsUrl: string;
  logsDir: string;
  /** The operator grant policy file every service reads at boot (tests may rewrite it, then restart). */
  grantPolicyFile: string;
  /** Where each plugin's own directory is created (`<dir>/<plugin id>`). */
  pluginFilesDir: string;
  /** The ARTIFACT_DIR shared by the services (content-addressed modules and staged uploads). */
  artifactDir: string;
  /** Base URL of each service process's own HTTP port (health, readiness, metrics), by process name. */
  serviceUrls: Record<string, string>;
}

/** How many processes run each service (one unless said); extra replicas are named `<service>-2`, ... */
export type Replicas = Partial<Record<(typeof SERVICES)[number], number>>;

/** Node flags for every process of a service (e.g. `--cpu-prof` for a profiling run). */
export type NodeArgs = Partial<Record<(typeof SERVICES)[number], readonly string[]>>;

/**
 * A NATS server of the platform's own instead of the shared test server: its URL, the prefix
 * its permissions name, and each service's credentials (environment variables by service).
 */
export interface PlatformBus {
  natsUrl: string;
  busPrefix: string;
  serviceEnv: (service: (typeof SERVICES)[number]) => Record<string, string>;
}

const PORT_RETRIES = 3;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The operator policy of the test platforms: fs grants may also name folders under the
 * system temp dir (where the attack fixtures live), read-write; everything else is the
 * shipped default (proc.exec denied, no other roots).
 */
const TEST_GRANT_POLICY = {
  filesystem: { roots: [{ path: tmpdir(), access: 'read-write' }] },
};

/**
 * Runs the seven services as separate processes against the real NATS server and
 * a throwaway PostgreSQL database (each service as its own login: deploy/postgres/logins.sql),
 * under a bus prefix of their own. `grantPolicy` is written
 * to the policy file all services read (TEST_GRANT_POLICY unless given); `nodeArgs` go to
 * `node` before each service's entry point.
 */
export async function startPlatform(
  extraEnv: Record<string, string> = {},
  replicas: Replicas = {},
  grantPolicy: object = TEST_GRANT_POLICY,
  bus?: PlatformBus,
  nodeArgs: NodeArgs = {},
): Promise<{
  info: PlatformInfo;
  stop: () => Promise<void>;
  /** Kills one process (e.g. `executor-2`) at once, as a crash would. */
  kill: (name: string) => Promise<void>;
  /** Stops one process and starts it again with the same environment; resolves once it is ready. */
  restart: (name: string) => Promise<void>;
  /** The OS process id of one service process (e.g. `executor`), to watch its memory or children. */
  pid: (name: string) => number;
}> {
  const processes = SERVICES.flatMap((service) =>
    Array.from({ length: replicas[service] ?? 1 }, (_, i) => ({
      service,
      name: i === 0 ? service : `${service}-${i + 1}`,
    })),
  );
  if (!bus) (await connectTestNats()).close().catch(() => undefined);
  const db = await createTestDatabase('e2e');
  const databaseEnv = await applyServiceLogins(db);
  const busPrefix = bus?.busPrefix ?? `e2e_${randomBytes(4).toString('hex')}`;
  const natsUrl = bus?.natsUrl ?? TEST_NATS_URL;
  const artifactDir = await mkdtemp(join(tmpdir(), 'cvg-e2e-artifacts-'));
  const logsDir = await mkdtemp(join(tmpdir(), 'cvg-e2e-logs-'));
  const configDir = await mkdtemp(join(tmpdir(), 'cvg-e2e-config-'));
  const grantPolicyFile = join(configDir, 'grant-policy.json');
  await writeFile(grantPolicyFile, JSON.stringify(grantPolicy, null, 2));
  const pluginFilesDir = join(configDir, 'plugin-files');
  const adminKey = `cvg_e2e_${randomBytes(24).toString('hex')}`;
  const secretStoreKey = randomBytes(32).toString('base64');
  const ports = new Map<string, number>();
  for (const { name } of processes) ports.set(name, await freePort());
  const children = new Map<string, ChildProcess>();

  const spawnService = (service: (typeof SERVICES)[number], name: string) => {
    // The child writes its log itself: piped through this process, every line would wake it, and
    // a benchmark running here would pay for the platform's logging.
    const log = openSync(join(logsDir, `${name}.log`), 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...(nodeArgs[service] ?? []), serviceMain(service)], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'test',
          NATS_URL: natsUrl,
          ...databaseEnv(service),
          BUS_PREFIX: busPrefix,
          ARTIFACT_DIR: artifactDir,
          PORT: String(ports.get(name)),
          CONVERGIO_ADMIN_KEY: adminKey,
          EXECUTOR_TIMEOUT_MS: '2000',
          GRANT_POLICY_FILE: grantPolicyFile,
          PLUGIN_FILES_DIR: pluginFilesDir,
          SECRET_STORE_KEY: secretStoreKey,
          ...bus?.serviceEnv(service),
          ...extraEnv,
        },
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
    children.set(name, child);
  };
  for (const { service, name } of processes) spawnService(service, name);

  const end = (c: ChildProcess, signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill(signal);
      setTimeout(() => c.kill('SIGKILL'), 5000).unref();
    });
  const stop = async () => {
    await Promise.all([...children.values()].map((c) => end(c, 'SIGTERM')));
    if (!bus) await deleteTestStream(`${busPrefix}_EVENTS`);
    await db.drop();
    await rm(artifactDir, { recursive: true, force: true });
    await rm(configDir, { recursive: true, force: true });
  };

  // A free port found here may be taken by another process before the service listens on it:
  // such a service is started again on another port, at most PORT_RETRIES times.
  const portRetries = new Map<string, number>();
  const ready = (name: string) =>
    expectEventually(
      async () => {
        const child = children.get(name)!;
        if (child.exitCode !== null) {
          const log = readFileSync(join(logsDir, `${name}.log`), 'utf8');
          const retries = portRetries.get(name) ?? 0;
          if (log.includes('EADDRINUSE') && retries < PORT_RETRIES) {
            portRetries.set(name, retries + 1);
            ports.set(name, await freePort());
            spawnService(processes.find((p) => p.name === name)!.service, name);
            throw new Error(`${name}: its port was taken; started again on another`);
          }
          throw new Error(`${name} exited with ${child.exitCode}:\n${log.slice(-3000)}`);
        }
        const res = await fetch(`http://127.0.0.1:${ports.get(name)}/readyz`);
        if (res.status !== 200) throw new Error(`${name} not ready: ${res.status}`);
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  try {
    for (const { name } of processes) await ready(name);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    info: {
      gatewayUrl: `http://127.0.0.1:${ports.get('gateway')}`,
      adminKey,
      databaseUrl: db.url,
      busPrefix,
      natsUrl,
      logsDir,
      grantPolicyFile,
      pluginFilesDir,
      artifactDir,
      serviceUrls: Object.fromEntries(
        processes.map(({ name }) => [name, `http://127.0.0.1:${ports.get(name)}`]),
      ),
    },
    stop,
    kill: async (name) => {
      const child = children.get(name);
      if (!child) throw new Error(`no process named ${name}`);
      await end(child, 'SIGKILL');
    },
    restart: async (name) => {
      const child = children.get(name);
      const spec = processes.find((p) => p.name === name);
      if (!child || !spec) throw new Error(`no process named ${name}`);
      await end(child, 'SIGTERM');
      spawnService(spec.service, name);
      await ready(name);
    },
    pid: (name) => {
      const pid = children.get(name)?.pid;
      if (pid === undefined) throw new Error(`no running process named ${name}`);
      return pid;
    },
  };
}
