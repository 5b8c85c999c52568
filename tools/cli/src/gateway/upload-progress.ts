const UNITS = ['B', 'KiB', 'MiB', 'GiB'];
const REDRAW_MS = 100;

/** `1.2 MiB`: a size for people. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** `uploading 1.2 MiB of 3.4 MiB (35%)`. */
export function progressLine(sent: number, total: number): string {
  const percent = total === 0 ? 100 : Math.floor((sent / total) * 100);
  return `uploading ${formatBytes(sent)} of ${formatBytes(total)} (${percent}%)`;
}

/** `uploaded 3.4 MiB in 0.2 s, waiting for the gateway`. */
function uploadedLine(total: number, ms: number): string {
  return `uploaded ${formatBytes(total)} in ${(ms / 1000).toFixed(1)} s, waiting for the gateway`;
}

/**
 * Reports an upload on `stream` (stderr): on a terminal one line redrawn in place at most every
 * 100 ms; elsewhere (a log, a pipe) only the final line, so logs do not fill with redraws.
 */
export function uploadProgress(stream: Pick<NodeJS.WriteStream, 'isTTY' | 'write'>) {
  const started = Date.now();
  let drawn = 0;
  return (sent: number, total: number): void => {
    if (sent >= total) {
      const line = uploadedLine(total, Date.now() - started);
      stream.write(stream.isTTY ? `\r${line}\x1b[K\n` : `${line}\n`);
      return;
    }
    if (!stream.isTTY || Date.now() - drawn < REDRAW_MS) return;
    drawn = Date.now();
    stream.write(`\r${progressLine(sent, total)}\x1b[K`);
  };
}
