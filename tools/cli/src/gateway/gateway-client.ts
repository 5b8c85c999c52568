import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CliError, ExitCode } from '../exit-codes.js';
import { gatewayRefusal } from './gateway-refusal.js';
import type { MultipartBody } from './multipart-body.js';

/** One request to the gateway. */
export interface GatewayCall {
  method: 'GET' | 'POST';
  /** The path, its segments already encoded (see {@link pathOf}). */
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  upload?: MultipartBody;
  /** Called as the upload's bytes are handed to the socket. */
  onUpload?: (sent: number, total: number) => void;
  /** Extra seconds the gateway may stay silent (its own `?wait=`). */
  waitSeconds?: number;
}

/** How long the socket may stay silent beyond the request's own wait. */
const IDLE_MS = 30_000;
const CHUNK = 64 * 1024;

/** `/v1/plugins/a.b/versions/1.0.0` from its segments, each encoded. */
export const pathOf = (...segments: string[]) =>
  `/${segments.map((s) => encodeURIComponent(s)).join('/')}`;

/**
 * The gateway's REST API over node:http(s): JSON in and out, bearer key. Resolves with the
 * parsed body of a 2xx answer; throws {@link CliError}: the gateway's refusal (see
 * {@link gatewayRefusal}) or, when no answer came, `gateway_unreachable` / `gateway_timeout`.
 */
export class GatewayClient {
  constructor(
    private readonly base: URL,
    private readonly apiKey: string,
  ) {}

  async call<T>(call: GatewayCall): Promise<T> {
    const url = new URL(this.base.pathname.replace(/\/$/, '') + call.path, this.base);
    for (const [name, value] of Object.entries(call.query ?? {}))
      if (value !== undefined) url.searchParams.set(name, String(value));
    const { status, text } = await this.send(url, call);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (status < 200 || status >= 300 || (text && body === undefined))
      throw gatewayRefusal(status, body, text);
    return body as T;
  }

  private send(url: URL, call: GatewayCall): Promise<{ status: number; text: string }> {
    const payload = call.json === undefined ? undefined : Buffer.from(JSON.stringify(call.json));
    const headers: Record<string, string | number> = {
      authorization: `Bearer ${this.apiKey}`,
      accept: 'application/json',
    };
    if (payload) headers['content-type'] = 'application/json';
    if (call.upload) headers['content-type'] = call.upload.contentType;
    const length = payload?.length ?? call.upload?.length;
    if (length !== undefined) headers['content-length'] = length;
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const idleMs = IDLE_MS + (call.waitSeconds ?? 0) * 1000;
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = request(url, { method: call.method, headers }, (res) => {
        answered = true;
        readText(res).then((text) => resolve({ status: res.statusCode ?? 0, text }), reject);
      });
      req.setTimeout(idleMs, () =>
        req.destroy(
          new CliError(
            ExitCode.unreachable,
            'gateway_timeout',
            `no answer from ${url.origin} in ${idleMs / 1000} s`,
            'check that the platform is running and healthy (GET /readyz), then retry',
          ),
        ),
      );
      // A gateway that refuses early (413) may close the socket mid-upload: its answer wins.
      req.on('error', (error) => {
        if (!answered) reject(networkError(error, url));
      });
      if (call.upload) void writeUpload(req, call.upload, call.onUpload);
      else req.end(payload);
    });
  }
}

async function writeUpload(
  req: NodeJS.WritableStream & { destroyed: boolean },
  body: MultipartBody,
  onUpload?: (sent: number, total: number) => void,
): Promise<void> {
  let sent = 0;
  for (const chunk of body.chunks)
    for (let at = 0; at < chunk.length; at += CHUNK) {
      if (req.destroyed) return;
      const piece = chunk.subarray(at, at + CHUNK);
      const flushed = new Promise<void>((resolve) => req.write(piece, () => resolve()));
      await flushed;
      sent += piece.length;
      onUpload?.(sent, body.length);
    }
  req.end();
}

function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function networkError(error: Error & { code?: string }, url: URL): CliError {
  if (error instanceof CliError) return error;
  const hint = `start the platform (npm start), or point --url / CONVERGIO_URL at its gateway`;
  if (error.code === 'ECONNREFUSED')
    return new CliError(
      ExitCode.unreachable,
      'gateway_unreachable',
      `nothing answers at ${url.origin} (connection refused)`,
      hint,
    );
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN')
    return new CliError(
      ExitCode.unreachable,
      'gateway_unreachable',
      `cannot resolve the host ${url.hostname}`,
      hint,
    );
  return new CliError(
    ExitCode.unreachable,
    'gateway_unreachable',
    `the request to ${url.origin} failed: ${error.code ?? error.message}`,
    'check the network and --url, then retry',
  );
}
