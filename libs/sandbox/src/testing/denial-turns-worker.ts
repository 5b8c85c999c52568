// A worker thread for the DenialPacer spec: once `go` is set, takes `turns` turns on the shared
// `bucket` on a stopped clock (`nowNs`) without sleeping, and posts how many were free.
import { parentPort, workerData } from 'node:worker_threads';
import { DenialPacer } from '../worker/denial-pacer.js';

const { bucket, go, perSecond, turns, nowNs } = workerData as {
  bucket: SharedArrayBuffer;
  go: SharedArrayBuffer;
  perSecond: number;
  turns: number;
  nowNs: bigint;
};
const pacer = new DenialPacer(
  bucket,
  perSecond,
  () => undefined,
  () => nowNs,
);
parentPort?.postMessage('ready');
Atomics.wait(new Int32Array(go), 0, 0);
let free = 0;
for (let i = 0; i < turns; i++) if (pacer.take() === 0) free++;
parentPort?.postMessage(free);
