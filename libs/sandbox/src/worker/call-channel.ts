import { connect, type Socket } from 'node:net';
import type { MessagePort } from 'node:worker_threads';
import { encodeFrame, FrameReader, type CallFrame } from '../channel/call-frames.js';
import type { CallMessage, CallRequest, CallSocket } from '../worker-protocol.js';

/** Where a worker takes its calls and sends what they answer and emit. */
export interface CallChannel {
  /** Hands each call request to `onCall`, in order. */
  listen(onCall: (request: CallRequest) => void): void;
  send(message: CallMessage): void;
  /** Sends what `sends` sends as one write (a call's last events and its result). */
  together(sends: () => void): void;
}

/** Calls from the supervisor on the worker's parent port (workers of the executor's own process). */
export function portChannel(port: MessagePort): CallChannel {
  return {
    listen: (onCall) => port.on('message', onCall),
    send: (message) =>
      port.postMessage(
        message,
        message.type === 'result' ? [message.output.buffer as ArrayBuffer] : [],
      ),
    together: (sends) => sends(),
  };
}

// A call's input is at most what the executor accepts; a frame beyond this is a broken peer.
const MAX_CALL_FRAME_BYTES = 1 << 30;

/**
 * Calls straight from the executor on a Unix socket of this worker's own (a worker of a sandbox
 * process): a call does not wake the process's main thread. Resolves once connected, with the
 * greeting naming this instance written.
 */
export function socketChannel(socket: CallSocket): Promise<CallChannel> {
  return new Promise((resolve, reject) => {
    const stream = connect(socket.path);
    stream.once('error', reject);
    stream.once('connect', () => {
      stream.off('error', reject);
      stream.write(encodeFrame({ kind: 'hello', instance: socket.instance }));
      resolve(streamChannel(stream));
    });
  });
}

function streamChannel(stream: Socket): CallChannel {
  // The executor gone, nothing is left to serve: the sandbox process exits with its IPC channel.
  stream.on('error', () => stream.destroy());
  // Frames held by `together`, written as one buffer: one write, not the stream's writev path.
  let held: Buffer[] | null = null;
  return {
    listen: (onCall) => {
      const reader = new FrameReader(MAX_CALL_FRAME_BYTES);
      stream.on('data', (chunk: Buffer) => {
        for (const frame of reader.push(chunk))
          if (frame.kind === 'call')
            onCall({
              type: 'call',
              id: frame.id,
              fn: frame.fn,
              input: frame.input,
              inputSchema: frame.inputSchema,
            });
      });
    },
    send: (message) => {
      const frame = encodeFrame(toFrame(message));
      if (held) held.push(frame);
      else stream.write(frame);
    },
    together: (sends) => {
      const frames: Buffer[] = (held = []);
      try {
        sends();
      } finally {
        held = null;
        if (frames.length > 0)
          stream.write(frames.length === 1 ? frames[0] : Buffer.concat(frames));
      }
    },
  };
}

function toFrame(message: CallMessage): CallFrame {
  switch (message.type) {
    case 'result':
      return {
        kind: 'result',
        id: message.id,
        output: message.output,
        resources: message.resources,
      };
    case 'failed':
      return { kind: 'failed', id: message.id, error: message.error, resources: message.resources };
    case 'denied':
      return {
        kind: 'denied',
        capability: message.capability,
        target: message.target,
        reason: message.reason,
      };
    case 'emitted':
      return { kind: 'emitted', json: message.json };
  }
}
