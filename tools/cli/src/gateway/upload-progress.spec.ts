import { formatBytes, progressLine, uploadProgress } from './upload-progress.js';

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text) > 0 };
}

describe('upload progress', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [3.5 * 1024 * 1024, '3.5 MiB'],
  ])('formatBytes(%i) is %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  it('says how much of the total went, in per cent', () => {
    expect(progressLine(512 * 1024, 2 * 1024 * 1024)).toBe('uploading 512.0 KiB of 2.0 MiB (25%)');
  });

  it('on a terminal redraws one line in place, then ends it with the final line', () => {
    const tty = stream(true);
    const report = uploadProgress(tty);
    report(10, 100);
    report(20, 100); // within 100 ms of the last redraw: skipped
    report(100, 100);
    expect(tty.writes).toHaveLength(2);
    expect(tty.writes[0]).toMatch(/^\ruploading 10 B of 100 B \(10%\)\x1b\[K$/);
    expect(tty.writes[1]).toMatch(
      /^\ruploaded 100 B in \d+\.\d s, waiting for the gateway\x1b\[K\n$/,
    );
  });

  it('elsewhere (a log, a pipe) writes only the final line', () => {
    const log = stream(false);
    const report = uploadProgress(log);
    report(10, 100);
    report(100, 100);
    expect(log.writes).toEqual([
      expect.stringMatching(/^uploaded 100 B in \d+\.\d s, waiting for the gateway\n$/),
    ]);
  });
});
