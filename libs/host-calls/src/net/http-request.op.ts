import * as http from 'node:http';
import * as https from 'node:https';
import {
  decideRedirect,
  describeTarget,
  headerFields,
  headersForRedirect,
  hostHeader,
  type HeaderFields,
  type NetTarget,
} from '@convergio/policy';
import type { MainThreadOpContext } from '@convergio/sandbox';
import { abortError, deadline, failureCode } from './deadline.js';
import type { HttpResponseReply } from './net-replies.js';
import type { DecidedHttpRequest } from './net-requests.js';
import { pinAddress, pinnedLookup, type PinnedAddress, type Resolver } from './pinned-address.js';

/** A refusal the worker side turns into `env.deny` (so permission.denied is recorded once, there). */
export interface DeniedResult {
  denied: { reason: string; target: string };
}

export interface ErrorResult {
  error: { code: string; message: string };
}

export type HttpRequestResult = HttpResponseReply | DeniedResult | ErrorResult;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/**
 * The most a response's status line and header lines may take (Node's default, set here so no
 * process flag changes it): the bridge has room for them (ADR 0030). Past it: `network_error`.
 */
const MAX_RESPONSE_HEADER_BYTES = 16 * 1024;

const error = (code: string, message: string): ErrorResult => ({ error: { code, message } });
const denied = (reason: string, target: string): DeniedResult => ({ denied: { reason, target } });

/**
 * Runs one plugin HTTP request on the main thread, as the worker decided it (parsed, headers
 * sanitised, target allowed by the pure rules of @convergio/policy). What the network answers is
 * decided here, under the plugin's policy and `net.http` grant as the context holds them: the
 * name resolved once, every answer checked and the socket pinned to the checked address;
 * redirects followed here, never by the client, each hop decided under the grant. The body comes
 * back as bytes; the worker encodes it for the plugin (net-replies.ts).
 */
export async function httpRequestOp(
  request: DecidedHttpRequest,
  context: Pick<MainThreadOpContext, 'signal' | 'policy' | 'grants'>,
  resolve: Resolver,
): Promise<HttpRequestResult> {
  const { policy } = context;
  const grant = context.grants['net.http'];
  let body = request.body;
  const limit = deadline(request.timeoutMs, context.signal);
  const { signal, remainingMs, dispose } = limit;
  let { target, method, headers } = request;
  try {
    for (let hops = 0; ; hops++) {
      const pin = await pinAddress(target, policy, resolve, signal, remainingMs());
      if (!pin.ok)
        return denied(
          hops === 0 ? pin.reason : `redirect refused: ${pin.reason}`,
          describeTarget(target),
        );
      const response = await send(target, method, headers, body, pin.value, signal);
      const location = response.headers.location;
      if (REDIRECTS.has(response.statusCode ?? 0) && location && request.followRedirects) {
        response.destroy();
        const next = decideRedirect(
          { from: target, method, status: response.statusCode ?? 0, location, hops },
          grant,
          policy,
        );
        if (!next.allowed) {
          return next.code === 'too_many_redirects'
            ? error(next.code, next.reason)
            : denied(next.reason, next.target);
        }
        headers = headersForRedirect(headers, next);
        if (next.bodyDropped) body = null;
        ({ target, method } = next);
        continue;
      }
      const { bytes, truncated } = await readCapped(response, policy.maxHttpResponseBytes, signal);
      return {
        status: response.statusCode ?? 0,
        headers: responseHeaders(response),
        body: bytes,
        truncated,
        url: target.href,
      } satisfies HttpResponseReply;
    }
  } catch (e) {
    const { code, message } = failureCode(e, limit);
    return error(code, message);
  } finally {
    dispose();
  }
}

function send(
  target: NetTarget,
  method: string,
  headers: HeaderFields,
  body: Buffer | null,
  pinned: PinnedAddress,
  signal: AbortSignal,
): Promise<http.IncomingMessage> {
  const options: https.RequestOptions = {
    // The name, not the address: SNI and certificate checks use it; `lookup` pins the socket.
    host: target.host.kind === 'ip' ? pinned.address : target.host.name,
    port: target.port,
    path: `${target.path}${target.search}`,
    method,
    // Spread defines members (no setter runs): a header named `__proto__` stays a header.
    headers: {
      ...headers,
      host: hostHeader(target),
      ...(body ? { 'content-length': String(body.length) } : {}),
    },
    lookup: pinnedLookup(pinned),
    maxHeaderSize: MAX_RESPONSE_HEADER_BYTES,
    agent: false, // no pooled socket from another plugin or another resolution
    setHost: false,
    signal,
  };
  const client = target.scheme === 'https' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(options, resolve);
    request.on('error', reject);
    request.end(body ?? undefined);
  });
}

function readCapped(
  response: http.IncomingMessage,
  cap: number,
  signal: AbortSignal,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = () => reject(abortError(signal));
    signal.addEventListener('abort', fail, { once: true });
    const done = (truncated: boolean) => {
      signal.removeEventListener('abort', fail);
      resolve({ bytes: Buffer.concat(chunks, Math.min(size, cap)), truncated });
    };
    response.on('data', (chunk: Buffer) => {
      const room = cap - size;
      chunks.push(room < chunk.length ? chunk.subarray(0, Math.max(room, 0)) : chunk);
      size += chunk.length;
      if (size > cap) {
        response.destroy(); // stop reading: the rest never reaches memory
        done(true);
      }
    });
    response.on('end', () => done(false));
    response.on('error', (e) => {
      signal.removeEventListener('abort', fail);
      reject(e);
    });
  });
}

function responseHeaders(response: http.IncomingMessage): Record<string, string | string[]> {
  return headerFields(
    Object.entries(response.headers).filter(
      (entry): entry is [string, string | string[]] => entry[1] !== undefined,
    ),
  );
}
