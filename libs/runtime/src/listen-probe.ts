import { createServer } from 'node:net';
import { ConfigError } from '@convergio/config';

/** Codes of a host name that does not resolve (getaddrinfo). */
const UNRESOLVED = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);

/**
 * Opens and closes `host:port` (also for port 0, where the host is the only question), so a
 * service that cannot listen is refused before it joins the bus.
 * @throws ConfigError naming HOST when the host does not resolve or is not an address of this
 *   machine, PORT when the port is taken or not permitted, both for anything else.
 */
export async function assertCanListen(port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(listenRefusal(error, port, host)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

function listenRefusal(error: NodeJS.ErrnoException, port: number, host: string): ConfigError {
  const code = error.code ?? error.message;
  const hostIssue = (why: string) => ({
    variable: 'HOST',
    expected:
      'an address of this machine to listen on: 127.0.0.1 (the default), 0.0.0.0 for every interface, or a name that resolves to one',
    received: `${host} (${why})`,
  });
  const portIssue = (why: string) => ({
    variable: 'PORT',
    expected: `a port this process may listen on at ${host}`,
    received: `${port} (${why})`,
  });
  if (UNRESOLVED.has(code)) return new ConfigError([hostIssue(`does not resolve: ${code}`)]);
  if (code === 'EADDRNOTAVAIL')
    return new ConfigError([hostIssue(`not an address of this machine: ${code}`)]);
  if (code === 'EADDRINUSE') return new ConfigError([portIssue('already in use')]);
  if (code === 'EACCES')
    return new ConfigError([portIssue(`not permitted for this process: ${code}`)]);
  return new ConfigError([hostIssue(code), portIssue(code)]);
}
