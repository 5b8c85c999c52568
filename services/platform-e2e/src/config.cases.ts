import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { serviceMain } from '@convergio/testing';

function run(
  service: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [serviceMain(service)], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('configuration is checked at boot', () => {
  it('stops a service with a message naming every bad variable, and hides secret values', async () => {
    const { code, stderr } = await run('registry', {
      NATS_URL: 'http://not-nats',
      DATABASE_URL: 'mysql://root:hunter2@db/x',
      PORT: 'eighty',
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/NATS_URL/);
    expect(stderr).toMatch(/DATABASE_URL/);
    expect(stderr).toMatch(/PORT/);
    expect(stderr).not.toContain('hunter2');
  });

  it('names a required variable that is missing', async () => {
    const { code, stderr } = await run('executor', { EXECUTOR_TIMEOUT_MS: '5' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/DATABASE_URL/);
    expect(stderr).toMatch(/EXECUTOR_TIMEOUT_MS/);
  });

  it('refuses a port already in use before joining the bus, naming PORT, without a stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      // The bus is unreachable: a service that joined it first would hang retrying, not exit.
      const { code, stderr } = await run('audit', {
        NATS_URL: 'nats://127.0.0.1:1',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
        PORT: String(port),
      });
      expect(code).toBe(1);
      expect(stderr).toContain(
        `PORT: expected a port this process may listen on at 127.0.0.1; got ${port} (already in use)`,
      );
      expect(stderr).not.toMatch(/EADDRINUSE|\n\s+at /);
    } finally {
      taken.close();
    }
  });

  it.each([
    ['256.1.1.1', '0', 'does not resolve'],
    ['10.99.99.99', '0', 'not an address of this machine'],
    ['10.99.99.99', '39999', 'not an address of this machine'],
  ])(
    'refuses HOST=%s (PORT=%s) before joining the bus, naming HOST alone, without a stack trace',
    async (host, port, why) => {
      const { code, stderr } = await run('registry', {
        NATS_URL: 'nats://127.0.0.1:1',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
        HOST: host,
        PORT: port,
      });
      expect(code).toBe(1);
      expect(stderr).toContain(`HOST: expected an address of this machine to listen on`);
      expect(stderr).toContain(`got ${host} (${why}`);
      expect(stderr).not.toContain('PORT:');
      expect(stderr).not.toMatch(/successfully started|\n\s+at /);
    },
  );
});
