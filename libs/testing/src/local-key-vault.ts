import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { generate } from 'selfsigned';

/** What the local vault and its identity endpoint saw. */
export interface KeyVaultRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

/**
 * A Key Vault on loopback that speaks the REST API `@azure/keyvault-secrets` uses (GET
 * /secrets/{name}[/{version}]?api-version=...) over HTTPS with a certificate made at start, with
 * challenge authentication (401 + `WWW-Authenticate: Bearer authorization=..., resource=...`), and
 * an App Service managed-identity endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER) that hands out
 * its access token, so DefaultAzureCredential runs its real code path. Nothing leaves the machine.
 */
export interface LocalKeyVault {
  vaultUrl: string;
  /** PEM of the vault's self-signed certificate, to trust. */
  ca: string;
  /** The environment that points DefaultAzureCredential's managed identity here. */
  identityEnv: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string };
  secrets: Map<string, string>;
  /** Secret names the vault answers 403 for (an access policy that denies). */
  denied: Set<string>;
  /** When set, the identity endpoint refuses to issue tokens. */
  identityRefuses: boolean;
  vaultRequests: KeyVaultRequest[];
  tokenRequests: { resource: string | null; identityHeader: string | undefined }[];
  close(): Promise<void>;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});

/** Starts a {@link LocalKeyVault} on 127.0.0.1 (random ports). */
export async function startLocalKeyVault(): Promise<LocalKeyVault> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  const token = randomBytes(16).toString('hex');
  const identityHeader = randomBytes(16).toString('hex');
  const vault: Omit<LocalKeyVault, 'vaultUrl' | 'identityEnv' | 'close'> = {
    ca: pems.cert,
    secrets: new Map(),
    denied: new Set(),
    identityRefuses: false,
    vaultRequests: [],
    tokenRequests: [],
  };

  const vaultServer = createHttpsServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    const answer = answerVault(req);
    res.writeHead(answer.status, answer.headers).end(answer.body);
  });
  function answerVault(req: IncomingMessage) {
    const url = new URL(req.url ?? '/', 'https://vault');
    vault.vaultRequests.push({
      method: req.method ?? '',
      path: url.pathname,
      authorization: req.headers.authorization,
    });
    if (req.headers.authorization !== `Bearer ${token}`)
      return json(
        401,
        {
          error: {
            code: 'Unauthorized',
            message: 'AKV10000: Request is missing a Bearer or PoP token.',
          },
        },
        {
          'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001", resource="https://vault.azure.net"`,
        },
      );
    const match = /^\/secrets\/([A-Za-z0-9-]+)\/?([0-9a-f]*)$/.exec(url.pathname);
    if (req.method !== 'GET' || !match || !url.searchParams.get('api-version'))
      return json(400, { error: { code: 'BadParameter', message: 'unsupported request' } });
    const name = match[1];
    if (vault.denied.has(name))
      return json(403, {
        error: {
          code: 'Forbidden',
          message: 'The user, group or application does not have secrets get permission',
        },
      });
    const value = vault.secrets.get(name);
    if (value === undefined)
      return json(404, {
        error: {
          code: 'SecretNotFound',
          message: `A secret with (name/id) ${name} was not found in this key vault.`,
        },
      });
    return json(200, {
      value,
      id: `https://127.0.0.1/secrets/${name}/0123456789abcdef0123456789abcdef`,
      attributes: {
        enabled: true,
        created: 1_700_000_000,
        updated: 1_700_000_000,
        recoveryLevel: 'Recoverable',
      },
    });
  }

  const identityServer = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://identity');
    const header = req.headers['x-identity-header'];
    vault.tokenRequests.push({
      resource: url.searchParams.get('resource'),
      identityHeader: typeof header === 'string' ? header : undefined,
    });
    const answer =
      vault.identityRefuses || header !== identityHeader
        ? json(400, { error: 'invalid_request', error_description: 'identity not found' })
        : json(200, {
            access_token: token,
            expires_on: String(Math.floor(Date.now() / 1000) + 3600),
            resource: url.searchParams.get('resource'),
            token_type: 'Bearer',
          });
    res.writeHead(answer.status, answer.headers).end(answer.body);
  });

  const listen = (server: Server) =>
    new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
  const vaultPort = await listen(vaultServer);
  const identityPort = await listen(identityServer);
  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return Object.assign(vault, {
    vaultUrl: `https://127.0.0.1:${vaultPort}`,
    identityEnv: {
      IDENTITY_ENDPOINT: `http://127.0.0.1:${identityPort}/msi/token`,
      IDENTITY_HEADER: identityHeader,
    },
    close: async () => {
      await close(vaultServer);
      await close(identityServer);
    },
  });
}
