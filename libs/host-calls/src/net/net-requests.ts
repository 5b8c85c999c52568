import {
  decideHttpRequest,
  decideWebSocket,
  parseNetUrl,
  sanitiseRequestHeaders,
  targetBytes,
  type HeaderFields,
  type HttpGrant,
  type NetRefusal,
  type NetTarget,
  type WebSocketGrant,
} from '@convergio/policy';
import type { OperatorPolicy } from '@convergio/sandbox';
import { hostError, type HostCallOutcome } from '../host-call-result.js';
import { allow, type HostCallDecision } from '../host-function-definition.js';
import {
  decodePayload,
  parseHttpRequestInput,
  parseWsCloseInput,
  parseWsConnectInput,
  parseWsRecvInput,
  parseWsSendInput,
  type WsCloseInput,
} from './net-inputs.js';

// The network host functions parse and decide in the worker, once: their main-thread ops get
// only the decided forms below (the operator policy and the grants are the main thread's own,
// in the op's context), and decide only on what the network answers (resolved addresses,
// redirect hops).

/** An `http_request` as parsed: well formed, within the request size cap. */
export interface ParsedHttpRequest {
  url: string;
  method: string;
  /**
   * Valid names (lowercase) and values, none of those the host sets itself. Without a prototype
   * in the worker; after the bridge, an ordinary object: read it by its own members only.
   */
  headers: HeaderFields;
  /** The bytes to send, decoded from the plugin's encoding: they cross the bridge as bytes. */
  body: Buffer | null;
  /** The plugin's timeout, never above the operator's, ms. */
  timeoutMs: number;
  followRedirects: boolean;
}

/** An `http_request` the policy allowed: the only form the op takes. */
export interface DecidedHttpRequest extends Omit<ParsedHttpRequest, 'url'> {
  /** The URL as the decision parsed it: what is connected to, nothing else of the plugin's text. */
  target: NetTarget;
}

/** A `ws_connect` as parsed; the decided form has the target the decision parsed. */
export interface ParsedWsConnect {
  url: string;
  /** The plugin's timeout, never above the operator's, ms. */
  timeoutMs: number;
}
export interface DecidedWsConnect {
  target: NetTarget;
  timeoutMs: number;
}

/** A `ws_send` as parsed: its message within the size cap. */
export interface WsSendRequest {
  socket_id: string;
  /** The message's bytes, decoded from the plugin's encoding. */
  data: Buffer;
  /** Sent as a binary frame: the plugin gave it as base64; else a text frame. */
  binary: boolean;
}
/** A `ws_recv` as parsed. */
export interface WsRecvRequest {
  socket_id: string;
  /** The plugin's timeout, never above the operator's, ms. */
  timeoutMs: number;
}

const cappedTimeout = (asked: number | undefined, policy: OperatorPolicy) =>
  Math.min(asked ?? policy.httpTimeoutMs, policy.httpTimeoutMs);

/**
 * Parses an `http_request` input: its shape, its headers (`invalid_input`), its body (valid
 * base64 when so encoded) and its size against `policy.maxHttpRequestBytes`
 * (`payload_too_large`: body bytes, header bytes and the URL's, all as sent).
 */
export function parseHttpRequest(
  input: unknown,
  policy: OperatorPolicy,
): HostCallOutcome<ParsedHttpRequest> {
  const parsed = parseHttpRequestInput(input);
  if (!parsed.ok) return hostError('invalid_input', parsed.reason);
  const { url, method, body, encoding = 'utf8' } = parsed.value;
  const sanitised = sanitiseRequestHeaders(parsed.value.headers ?? {});
  if (!sanitised.ok) return hostError('invalid_input', sanitised.reason);
  const { headers, bytes: headerBytes } = sanitised.value;
  const bytes = body === undefined ? null : decodePayload(body, encoding);
  if (bytes === null && body !== undefined)
    return hostError('invalid_input', 'body is not valid base64');
  // A URL that does not parse is refused by the decision, before anything is sent.
  const target = parseNetUrl(url, ['http', 'https']);
  const urlBytes = target.ok ? targetBytes(target.value) : url.length;
  const size = (bytes?.length ?? 0) + headerBytes + urlBytes;
  if (size > policy.maxHttpRequestBytes)
    return hostError(
      'payload_too_large',
      `the request is ${size} bytes, over the ${policy.maxHttpRequestBytes} byte limit`,
    );
  return {
    url,
    method,
    headers,
    body: bytes,
    timeoutMs: cappedTimeout(parsed.value.timeout_ms, policy),
    followRedirects: parsed.value.follow_redirects !== false,
  };
}

/** May the plugin send this request under its `net.http` grant? Allowed: the decided form. */
export function decideHttp(
  { url, ...request }: ParsedHttpRequest,
  grant: HttpGrant | undefined,
  policy: OperatorPolicy,
): HostCallDecision<DecidedHttpRequest> {
  const decision = decideHttpRequest({ url, method: request.method }, grant, policy);
  if (!decision.allowed) return refusal(decision);
  return allow({ ...request, target: decision.target, method: decision.method });
}

/** Parses a `ws_connect` input (`invalid_input`). */
export function parseWsConnect(
  input: unknown,
  policy: OperatorPolicy,
): HostCallOutcome<ParsedWsConnect> {
  const parsed = parseWsConnectInput(input);
  if (!parsed.ok) return hostError('invalid_input', parsed.reason);
  return { url: parsed.value.url, timeoutMs: cappedTimeout(parsed.value.timeout_ms, policy) };
}

/** May the plugin open this socket under its `net.websocket` grant? Allowed: the decided form. */
export function decideWsConnect(
  { url, timeoutMs }: ParsedWsConnect,
  grant: WebSocketGrant | undefined,
  policy: OperatorPolicy,
): HostCallDecision<DecidedWsConnect> {
  const decision = decideWebSocket(url, grant, policy);
  return decision.allowed ? allow({ target: decision.target, timeoutMs }) : refusal(decision);
}

/**
 * Parses a `ws_send` input: its shape, its message (valid base64 when so encoded) and its size
 * against `policy.maxWebSocketMessageBytes` (`payload_too_large`).
 */
export function parseWsSend(
  input: unknown,
  policy: OperatorPolicy,
): HostCallOutcome<WsSendRequest> {
  const parsed = parseWsSendInput(input);
  if (!parsed.ok) return hostError('invalid_input', parsed.reason);
  const { socket_id, data, encoding = 'utf8' } = parsed.value;
  const bytes = decodePayload(data, encoding);
  if (!bytes) return hostError('invalid_input', 'data is not valid base64');
  const cap = policy.maxWebSocketMessageBytes;
  if (bytes.length > cap)
    return hostError(
      'payload_too_large',
      `the message is ${bytes.length} bytes, over the ${cap} byte limit`,
    );
  return { socket_id, data: bytes, binary: encoding === 'base64' };
}

/** Parses a `ws_close` input (`invalid_input`). */
export function parseWsClose(input: unknown): HostCallOutcome<WsCloseInput> {
  const parsed = parseWsCloseInput(input);
  return parsed.ok ? parsed.value : hostError('invalid_input', parsed.reason);
}

/** Parses a `ws_recv` input (`invalid_input`). */
export function parseWsRecv(
  input: unknown,
  policy: OperatorPolicy,
): HostCallOutcome<WsRecvRequest> {
  const parsed = parseWsRecvInput(input);
  if (!parsed.ok) return hostError('invalid_input', parsed.reason);
  const { socket_id, timeout_ms } = parsed.value;
  return { socket_id, timeoutMs: cappedTimeout(timeout_ms, policy) };
}

const refusal = ({ reason, target }: NetRefusal) => ({ allowed: false as const, reason, target });
