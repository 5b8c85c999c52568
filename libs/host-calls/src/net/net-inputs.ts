/**
 * The shapes of the JSON a plugin passes to the network host functions, checked in the worker
 * (net-requests.ts goes on from there: sizes, then the decision).
 */
import { fail, succeed, type Outcome } from '@convergio/contracts';

/** `http_request` input. `body` is UTF-8 text unless `encoding` is `base64`. */
export interface HttpRequestInput {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: string;
  encoding?: 'utf8' | 'base64';
  timeout_ms?: number;
  /** Follow redirects (default true), each hop re-checked, at most MAX_REDIRECTS. */
  follow_redirects?: boolean;
}

export interface WsConnectInput {
  url: string;
  timeout_ms?: number;
}
export interface WsSendInput {
  socket_id: string;
  data: string;
  encoding?: 'utf8' | 'base64';
}
export interface WsRecvInput {
  socket_id: string;
  timeout_ms?: number;
}
export interface WsCloseInput {
  socket_id: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_URL = 8192;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkKeys(input: Record<string, unknown>, allowed: readonly string[]): string | null {
  const extra = Object.keys(input).find((k) => !allowed.includes(k));
  return extra === undefined ? null : `unknown field ${JSON.stringify(extra.slice(0, 64))}`;
}

function checkTimeout(v: unknown): string | null {
  return v === undefined || (Number.isInteger(v) && (v as number) > 0)
    ? null
    : 'timeout_ms must be a positive integer';
}

function checkEncoding(v: unknown): string | null {
  return v === undefined || v === 'utf8' || v === 'base64'
    ? null
    : 'encoding must be "utf8" or "base64"';
}

function checkUrl(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_URL
    ? null
    : 'url must be a non-empty string';
}

/** Bytes as JSON carries them: UTF-8 text, or base64 for anything else. */
export interface WireBytes {
  data: string;
  encoding: 'utf8' | 'base64';
}

/** Decodes a body or message from its wire encoding; null when `base64` is not canonical base64. */
export function decodePayload(
  data: string,
  encoding: 'utf8' | 'base64' | undefined,
): Buffer | null {
  if (encoding !== 'base64') return Buffer.from(data, 'utf8');
  return BASE64.test(data) ? Buffer.from(data, 'base64') : null;
}

/** Encodes bytes for the plugin: UTF-8 text when they are valid UTF-8, base64 otherwise. */
export function encodePayload(bytes: Buffer): WireBytes {
  try {
    return { data: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf8' };
  } catch {
    return { data: bytes.toString('base64'), encoding: 'base64' };
  }
}

export function parseHttpRequestInput(input: unknown): Outcome<HttpRequestInput> {
  if (!isObject(input)) return fail('input must be an object');
  const problem =
    checkKeys(input, [
      'url',
      'method',
      'headers',
      'body',
      'encoding',
      'timeout_ms',
      'follow_redirects',
    ]) ??
    checkUrl(input.url) ??
    (typeof input.method === 'string' && /^[A-Za-z]{1,16}$/.test(input.method)
      ? null
      : 'method must be an HTTP method') ??
    (input.headers === undefined || isObject(input.headers)
      ? null
      : 'headers must be an object of strings') ??
    (input.body === undefined || typeof input.body === 'string' ? null : 'body must be a string') ??
    checkEncoding(input.encoding) ??
    checkTimeout(input.timeout_ms) ??
    (input.follow_redirects === undefined || typeof input.follow_redirects === 'boolean'
      ? null
      : 'follow_redirects must be a boolean');
  return problem ? fail(problem) : succeed(input as unknown as HttpRequestInput);
}

function parseSocketInput<T>(
  input: unknown,
  fields: readonly string[],
  more: (i: Record<string, unknown>) => string | null,
): Outcome<T> {
  if (!isObject(input)) return fail('input must be an object');
  const problem =
    checkKeys(input, ['socket_id', ...fields]) ??
    (typeof input.socket_id === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(input.socket_id)
      ? null
      : 'socket_id must be a socket id') ??
    more(input);
  return problem ? fail(problem) : succeed(input as unknown as T);
}

export function parseWsConnectInput(input: unknown): Outcome<WsConnectInput> {
  if (!isObject(input)) return fail('input must be an object');
  const problem =
    checkKeys(input, ['url', 'timeout_ms']) ??
    checkUrl(input.url) ??
    checkTimeout(input.timeout_ms);
  return problem ? fail(problem) : succeed(input as unknown as WsConnectInput);
}

export function parseWsSendInput(input: unknown): Outcome<WsSendInput> {
  return parseSocketInput(input, ['data', 'encoding'], (i) =>
    typeof i.data === 'string' ? checkEncoding(i.encoding) : 'data must be a string',
  );
}

export function parseWsRecvInput(input: unknown): Outcome<WsRecvInput> {
  return parseSocketInput(input, ['timeout_ms'], (i) => checkTimeout(i.timeout_ms));
}

export function parseWsCloseInput(input: unknown): Outcome<WsCloseInput> {
  return parseSocketInput(input, [], () => null);
}
