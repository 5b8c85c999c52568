import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nkeys } from '@nats-io/transport-node';
import { expectEventually } from './expect-eventually.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The production NATS configuration the suite proves (deploy/nats/nats.conf). */
export const NATS_CONF = join(ROOT, 'deploy', 'nats', 'nats.conf');

/** A nats-server of a test's own, run with a copy of deploy/nats/nats.conf. */
export interface ConfiguredNatsServer {
  url: string;
  /** The password of each user of the file, by user name (`registry`, `gateway`, ... `sys`). */
  passwords: Record<string, string>;
  /** The NKEY of each user asked to log in with one: its seed (`SU...`) and public key (`U...`). */
  nkeys: Record<string, { seed: string; publicKey: string }>;
  /** What the server logged so far (it logs every permissions violation, naming user and subject). */
  log: () => string;
  /**
   * Rewrites the running server's configuration with `edit` and has it reload it (SIGHUP), as an
   * operator would; resolves once the server says it has.
   */
  reload: (edit: (conf: string) => string) => Promise<void>;
  stop: () => Promise<void>;
}

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

function natsServerBinary(): string {
  const found = [
    '/usr/sbin/nats-server',
    '/usr/bin/nats-server',
    '/usr/local/bin/nats-server',
  ].find((p) => existsSync(p));
  if (!found) throw new Error('nats-server is not installed: scripts/test-services.sh installs it');
  return found;
}

/** Replaces `from` in `text`, failing loudly when nats.conf no longer has it. */
function replaceOnce(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`${NATS_CONF} no longer has "${from}"`);
  return text.replace(from, to);
}

/**
 * Starts nats-server with deploy/nats/nats.conf, changed only in its ports (free loopback
 * ones), its JetStream store (a temp folder) and its credentials: random passwords, given to
 * the server through the environment as the file expects, and for `nkeyUsers` a new NKEY in
 * place of user and password (as the operator guide says to do). Resolves once the server
 * accepts connections.
 */
export async function startConfiguredNats(
  nkeyUsers: readonly string[] = [],
): Promise<ConfiguredNatsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'cvg-nats-'));
  const port = await freePort();
  let conf = readFileSync(NATS_CONF, 'utf8');
  conf = replaceOnce(conf, 'listen: 0.0.0.0:4222', `listen: 127.0.0.1:${port}`);
  conf = replaceOnce(conf, 'http: 0.0.0.0:8222', `http: 127.0.0.1:${await freePort()}`);
  conf = replaceOnce(conf, 'store_dir: /data', `store_dir: "${join(dir, 'store')}"`);
  const keys: ConfiguredNatsServer['nkeys'] = {};
  for (const user of nkeyUsers) {
    const pair = nkeys.createUser();
    keys[user] = {
      seed: new TextDecoder().decode(pair.getSeed()),
      publicKey: pair.getPublicKey(),
    };
    const login = new RegExp(`user: "${user}",?\\s+password: \\$\\w+`);
    conf = replaceOnce(
      conf,
      login.exec(conf)?.[0] ?? login.source,
      `nkey: "${keys[user].publicKey}"`,
    );
  }
  const confFile = join(dir, 'nats.conf');
  await writeFile(confFile, conf);
  const passwords: Record<string, string> = {};
  const env: Record<string, string> = {};
  for (const [, user, variable] of conf.matchAll(/user: "([^"]+)",?\s+password: \$(\w+)/g)) {
    // nats-server parses the value as a config token: a leading digit would make it a number.
    passwords[user] = `p${randomBytes(18).toString('hex')}`;
    env[variable] = passwords[user];
  }
  const child = spawn(natsServerBinary(), ['-c', confFile], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await expectEventually(
      () =>
        new Promise<void>((resolve, reject) => {
          if (child.exitCode !== null) reject(new Error(`nats-server exited:\n${log}`));
          const socket = tcpConnect(port, '127.0.0.1', () => {
            socket.end();
            resolve();
          });
          socket.once('error', reject);
        }),
      { timeoutMs: 20_000, intervalMs: 50 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const reloads = () => log.split('Reloaded server configuration').length;
  const reload = async (edit: (conf: string) => string) => {
    conf = edit(conf);
    await writeFile(confFile, conf);
    const before = reloads();
    child.kill('SIGHUP');
    await expectEventually(() => {
      if (reloads() === before)
        throw new Error(`nats-server has not reloaded:\n${log.slice(-2000)}`);
    });
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    passwords,
    nkeys: keys,
    log: () => log,
    reload,
    stop,
  };
}
