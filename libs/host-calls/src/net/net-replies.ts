/**
 * What the network ops answer over the bridge, and the form the plugin gets. Bodies and messages
 * cross as their bytes, whatever they hold (ADR 0030); their encoding for the plugin
 * (docs/plugin-abi.md: utf8 when valid UTF-8, else base64) is decided here, in the worker.
 */
import { encodePayload, type WireBytes } from './net-inputs.js';

/** A response as the `http_request` op answers it; `truncated` when the cap cut the body. */
export interface HttpResponseReply {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  truncated: boolean;
  /** The URL that answered, after redirects. */
  url: string;
}

/** A message as the `ws_recv` op answers it; `binary` for a binary frame. */
export interface WsMessageReply {
  data: Buffer;
  binary: boolean;
}

const holds = <K extends string>(reply: unknown, key: K): reply is Record<K, unknown> =>
  typeof reply === 'object' && reply !== null && key in reply;

/** The `http_request` op's answer as the plugin gets it: a response's body encoded, the rest as is. */
export function httpResponseForPlugin(reply: unknown): unknown {
  if (!holds(reply, 'body') || !(reply.body instanceof Uint8Array)) return reply;
  const { status, headers, body, truncated, url } = reply as unknown as HttpResponseReply;
  const { data, encoding } = encodePayload(Buffer.from(body.buffer, body.byteOffset, body.length));
  return { status, headers, body: data, encoding, truncated, url };
}

/**
 * The `ws_recv` op's answer as the plugin gets it: a message as `{data, encoding}` (a binary
 * frame always base64), the rest as is.
 */
export function wsMessageForPlugin(reply: unknown): unknown {
  if (!holds(reply, 'data') || !(reply.data instanceof Uint8Array)) return reply;
  const { data, binary } = reply as unknown as WsMessageReply;
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.length);
  return binary
    ? ({ data: bytes.toString('base64'), encoding: 'base64' } satisfies WireBytes)
    : encodePayload(bytes);
}
