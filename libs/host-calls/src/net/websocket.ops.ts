import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { describeTarget } from '@convergio/policy';
import type { MainThreadOpContext } from '@convergio/sandbox';
import { abortError, deadline, failureCode, Stopped } from './deadline.js';
import type { DeniedResult, ErrorResult } from './http-request.op.js';
import type { WsCloseInput } from './net-inputs.js';
import type { WsMessageReply } from './net-replies.js';
import type { DecidedWsConnect, WsRecvRequest, WsSendRequest } from './net-requests.js';
import { pinAddress, pinnedLookup, type Resolver } from './pinned-address.js';

type Context = Pick<MainThreadOpContext, 'instance' | 'signal' | 'policy'>;

/** Open sockets one call may hold at once. */
const MAX_SOCKETS_PER_CALL = 8;
/**
 * Inbound messages buffered per socket; past it, or past a message's worth of bytes
 * (policy.maxWebSocketMessageBytes), the socket is paused until the plugin reads, so what the
 * host holds for a socket stays about the size of one message (see sandboxMemoryBudget).
 */
const MAX_QUEUED_MESSAGES = 64;

interface OpenSocket {
  ws: WebSocket;
  /** Messages received and not read yet, as their bytes: the worker encodes them for the plugin. */
  queue: WsMessageReply[];
  /** Bytes of the messages in `queue`. */
  queuedBytes: number;
  maxQueuedBytes: number;
  closed: { code: number; reason: string } | null;
  wake: (() => void) | null;
}

/**
 * Sockets by the instance serving the call (from the sandbox's context, never from the payload)
 * and by a random id: a socket id is meaningless to any other call, plugin or not.
 */
const sockets = new Map<string, Map<string, OpenSocket>>();

/**
 * Closes every socket of an instance's call. The executor calls it when the sandbox reports the
 * call ended: sockets live for one call, never across calls.
 */
export function closeInstanceSockets(instance: string): number {
  const owned = sockets.get(instance);
  if (!owned) return 0;
  sockets.delete(instance);
  for (const socket of owned.values()) {
    socket.ws.terminate();
    socket.wake?.();
  }
  return owned.size;
}

/** Bytes received on an instance's sockets that its plugin has not read yet (diagnostics). */
export function unreadSocketBytes(instance: string): number {
  let bytes = 0;
  for (const socket of sockets.get(instance)?.values() ?? []) bytes += socket.queuedBytes;
  return bytes;
}

const error = (code: string, message: string): ErrorResult => ({ error: { code, message } });
const denied = (reason: string, target: string): DeniedResult => ({ denied: { reason, target } });
const unknownSocket = () => error('unknown_socket', 'no such socket for this plugin');

function find(context: Context, socketId: string): OpenSocket | undefined {
  return sockets.get(context.instance)?.get(socketId);
}

/**
 * Opens the socket the worker decided (`target` allowed by its grant): the name resolved once,
 * every answer checked under the plugin's policy, the handshake pinned to the checked address.
 */
export async function wsConnectOp(
  request: DecidedWsConnect,
  context: Context,
  resolve: Resolver,
): Promise<{ socket_id: string } | DeniedResult | ErrorResult> {
  const { policy } = context;
  const key = context.instance;
  const owned = sockets.get(key) ?? new Map<string, OpenSocket>();
  if (owned.size >= MAX_SOCKETS_PER_CALL) {
    return error('too_many_sockets', `at most ${MAX_SOCKETS_PER_CALL} sockets per call`);
  }
  const { target, timeoutMs } = request;
  const limit = deadline(timeoutMs, context.signal);
  const { signal, remainingMs, dispose } = limit;
  try {
    const pin = await pinAddress(target, policy, resolve, signal, remainingMs());
    if (!pin.ok) return denied(pin.reason, describeTarget(target));
    const ws = new WebSocket(target.href, {
      lookup: pinnedLookup(pin.value),
      maxPayload: policy.maxWebSocketMessageBytes,
      followRedirects: false,
      perMessageDeflate: false, // no decompression bombs, no compression side channels
      handshakeTimeout: timeoutMs,
    });
    const socket = track(ws, policy.maxWebSocketMessageBytes);
    await opened(ws, signal);
    const id = randomUUID();
    owned.set(id, socket);
    sockets.set(key, owned);
    return { socket_id: id };
  } catch (e) {
    const { code, message } = failureCode(e, limit);
    return error(code, message);
  } finally {
    dispose();
  }
}

/** Buffers what the peer sends until the plugin reads it (listeners attached before the handshake ends). */
function track(ws: WebSocket, maxQueuedBytes: number): OpenSocket {
  const socket: OpenSocket = {
    ws,
    queue: [],
    queuedBytes: 0,
    maxQueuedBytes,
    closed: null,
    wake: null,
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    socket.queue.push({ data, binary: isBinary });
    socket.queuedBytes += data.length;
    if (socket.queue.length >= MAX_QUEUED_MESSAGES || socket.queuedBytes >= maxQueuedBytes)
      ws.pause();
    socket.wake?.();
  });
  let tooLarge = false;
  ws.on('close', (code: number, reason: Buffer) => {
    // Our own size refusal closes with 1009 towards the peer but reports 1006 locally.
    socket.closed = tooLarge
      ? { code: 1009, reason: 'a message was over the size limit' }
      : { code, reason: reason.toString('utf8').slice(0, 123) };
    socket.wake?.();
  });
  // Errors surface as 'close'; an unhandled 'error' event would crash the host.
  ws.on('error', (e: Error & { code?: string }) => {
    if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') tooLarge = true;
  });
  return socket;
}

function opened(ws: WebSocket, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      ws.terminate();
      reject(abortError(signal));
    };
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    const settle = (err?: unknown) => {
      signal.removeEventListener('abort', stop);
      if (err) reject(err instanceof Error ? err : new Error('the handshake failed'));
      else resolve();
    };
    ws.once('open', () => settle());
    ws.once('error', (e) => settle(e));
    ws.once('unexpected-response', (_req, res) => {
      // A redirect or refusal from the server: never followed.
      ws.terminate();
      settle(new Error(`server answered ${res.statusCode} instead of upgrading`));
    });
  });
}

/** Sends a message the worker parsed (within the size cap) on a socket of this call. */
export async function wsSendOp(
  request: WsSendRequest,
  context: Context,
): Promise<{ sent: number } | ErrorResult> {
  const socket = find(context, request.socket_id);
  if (!socket) return unknownSocket();
  if (socket.closed || socket.ws.readyState !== WebSocket.OPEN)
    return error('socket_closed', 'the socket is closed');
  const { data: bytes, binary } = request;
  const limit = deadline(context.policy.httpTimeoutMs, context.signal);
  const { signal, dispose } = limit;
  try {
    await new Promise<void>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
      socket.ws.send(bytes, { binary }, (err) => (err ? reject(err) : resolve()));
    });
    return { sent: bytes.length };
  } catch (e) {
    const { code, message } = failureCode(e, limit);
    return error(code, message);
  } finally {
    dispose();
  }
}

/**
 * The next message of a socket of this call, as its bytes (the worker encodes it for the
 * plugin), waiting at most the timeout the worker capped.
 */
export async function wsRecvOp(
  request: WsRecvRequest,
  context: Context,
): Promise<
  WsMessageReply | { closed: true; code: number; reason: string } | { timeout: true } | ErrorResult
> {
  const socket = find(context, request.socket_id);
  if (!socket) return unknownSocket();
  const { signal, dispose } = deadline(request.timeoutMs, context.signal);
  const stillOwned = () => find(context, request.socket_id) === socket;
  const onAbort = () => socket.wake?.();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    while (socket.queue.length === 0 && !socket.closed && !signal.aborted && stillOwned()) {
      await new Promise<void>((wake) => {
        socket.wake = wake;
      });
      socket.wake = null;
    }
    const queued = socket.queue.shift();
    if (queued) {
      socket.queuedBytes -= queued.data.length;
      const drained =
        socket.queue.length < MAX_QUEUED_MESSAGES / 2 &&
        socket.queuedBytes < socket.maxQueuedBytes / 2;
      if (drained && socket.ws.isPaused) socket.ws.resume();
      return queued;
    }
    if (socket.closed) return { closed: true, ...socket.closed };
    if (!stillOwned()) return unknownSocket(); // closed by ws_close or closeInstanceSockets meanwhile
    return signal.reason instanceof Stopped && signal.reason.code === 'timeout'
      ? { timeout: true }
      : error('aborted', 'the operation was aborted');
  } finally {
    signal.removeEventListener('abort', onAbort);
    dispose();
  }
}

/** Closes a socket of this call. */
export function wsCloseOp(
  request: WsCloseInput,
  context: Context,
): Promise<{ closed: true } | ErrorResult> {
  const owned = sockets.get(context.instance);
  const socket = owned?.get(request.socket_id);
  if (!owned || !socket) return Promise.resolve(unknownSocket());
  owned.delete(request.socket_id);
  if (owned.size === 0) sockets.delete(context.instance);
  socket.ws.close(1000);
  setTimeout(() => socket.ws.terminate(), 1000).unref(); // do not wait for a peer that never answers the close
  socket.wake?.();
  return Promise.resolve({ closed: true });
}
