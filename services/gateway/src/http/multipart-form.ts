import { DomainError } from '@convergio/contracts';
import { readPartHeaders, type FormPart } from './form-part-headers.js';

/** The longest boundary, characters (RFC 2046 §5.1.1: `boundary := 0*69<bchars> bcharsnospace`). */
const MAX_BOUNDARY_CHARS = 70;
/** The largest header block of one part, bytes; a submission's parts need about a hundred. */
const MAX_PART_HEADER_BYTES = 8 * 1024;
/**
 * The most text a body may have before its first delimiter (a preamble) or after its closing
 * one (an epilogue), bytes: RFC 2046 lets a body have both, and both are ignored, so neither
 * may be long.
 */
const MAX_IGNORED_BYTES = 8 * 1024;

/** RFC 2046 §5.1.1 `bchars`: a boundary of these, not ending with a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]*[0-9A-Za-z'()+_,\-./:=?]$/;
const CRLF = Buffer.from('\r\n');
const BLANK_LINE = Buffer.from('\r\n\r\n');
const DASH = 0x2d;

/** Where a part's bytes go, as they arrive; `write` and `end` may throw a refusal. */
export interface FormPartSink {
  write(bytes: Buffer): void;
  end(): void;
}

/**
 * The boundary a multipart Content-Type names, quoted or not.
 * @throws DomainError `bad_request`, detail `multipart_boundary`: none, more than one, longer
 * than {@link MAX_BOUNDARY_CHARS}, or of characters RFC 2046 does not allow.
 */
export function boundaryOf(contentType: string, says: string): string {
  const named = contentType
    .split(';')
    .slice(1)
    .map((parameter) => parameter.split('='))
    .filter(([name]) => name.trim().toLowerCase() === 'boundary')
    .map(([, ...value]) =>
      value
        .join('=')
        .trim()
        .replace(/^"(.*)"$/, '$1'),
    );
  const problem =
    named.length === 0 || named[0] === ''
      ? 'has no boundary'
      : named.length > 1
        ? 'names its boundary twice'
        : named[0].length > MAX_BOUNDARY_CHARS
          ? `has a boundary longer than ${MAX_BOUNDARY_CHARS} characters (${named[0].length})`
          : !BOUNDARY.test(named[0])
            ? "has a boundary of characters other than letters, digits, space and '()+_,-./:=?"
            : undefined;
  if (problem === undefined) return named[0];
  const message = `the Content-Type ${problem}: a boundary is 1 to ${MAX_BOUNDARY_CHARS} letters, digits, spaces (not last) and '()+_,-./:=? (RFC 2046 §5.1.1)`;
  throw new DomainError('bad_request', `${message}; send ${says}`, [
    { code: 'multipart_boundary', message },
  ]);
}

type State = 'preamble' | 'delimiter' | 'headers' | 'body' | 'epilogue';

/**
 * Reads a multipart/form-data body (RFC 7578 over RFC 2046 §5.1) as it arrives, handing each
 * part's bytes to the sink `onPart` answers for its headers (readPartHeaders, which refuses a
 * part that does not name itself as RFC 7578 has it). Nothing is skipped: a part without headers
 * that end, a delimiter followed by anything but its line end, a body that ends before its
 * closing delimiter, and a preamble or epilogue over {@link MAX_IGNORED_BYTES} are refused
 * (400 `multipart_framing`), as is a header block over {@link MAX_PART_HEADER_BYTES}. Every
 * refusal is a DomainError thrown by `write` or `end`; `says` ends its message (what to send).
 */
export class MultipartForm {
  private readonly delimiter: Buffer;
  /** Bytes received and not yet handed on; never more than a delimiter's worth of body. */
  private pending: Buffer = CRLF;
  private state: State = 'preamble';
  private sink: FormPartSink | undefined;
  private parts = 0;
  private ignored = 0;

  constructor(
    boundary: string,
    private readonly says: string,
    private readonly onPart: (part: FormPart) => FormPartSink,
  ) {
    // The first delimiter may start the body: `pending` starts with the CRLF it lacks.
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  /** Reads the next bytes of the body. */
  write(bytes: Buffer): void {
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    while (this.step());
  }

  /** The body has ended: refused unless its closing delimiter was read. */
  end(): void {
    if (this.state !== 'epilogue')
      throw this.framing(
        `ends before its closing delimiter --${this.delimiter.toString('latin1', 4)}--`,
      );
  }

  /** Reads what it can of `pending`; false when it needs more bytes. */
  private step(): boolean {
    switch (this.state) {
      case 'preamble':
      case 'body':
        return this.untilDelimiter();
      case 'delimiter':
        return this.delimiterLine();
      case 'headers':
        return this.headers();
      case 'epilogue':
        this.ignore(this.pending.length, 'after its closing delimiter');
        this.pending = Buffer.alloc(0);
        return false;
    }
  }

  private untilDelimiter(): boolean {
    const at = this.pending.indexOf(this.delimiter);
    // Without a delimiter, all but what may be the start of one is the part's (or preamble).
    const end = at === -1 ? this.pending.length - (this.delimiter.length - 1) : at;
    if (end > 0) {
      if (this.state === 'body') this.sink?.write(this.pending.subarray(0, end));
      else this.ignore(end, 'before its first delimiter');
    }
    if (at === -1) {
      if (end > 0) this.pending = this.pending.subarray(end);
      return false;
    }
    if (this.state === 'body') this.sink?.end();
    this.sink = undefined;
    this.pending = this.pending.subarray(at + this.delimiter.length);
    this.state = 'delimiter';
    return true;
  }

  /** After a delimiter: `--` (the closing one), or optional spaces and tabs then CRLF. */
  private delimiterLine(): boolean {
    if (this.pending.length < 2) return false;
    if (this.pending[0] === DASH && this.pending[1] === DASH) {
      this.pending = this.pending.subarray(2);
      this.state = 'epilogue';
      this.ignored = 0;
      return true;
    }
    const eol = this.pending.indexOf(CRLF);
    if (eol === -1 && this.pending.length <= MAX_IGNORED_BYTES) return false;
    const line = this.pending.subarray(0, eol === -1 ? this.pending.length : eol);
    if (eol === -1 || line.some((byte) => byte !== 0x20 && byte !== 0x09))
      throw this.framing(
        `has a delimiter followed by ${JSON.stringify(line.toString('latin1', 0, 20))} rather than the end of its line`,
      );
    this.pending = this.pending.subarray(eol + 2);
    this.state = 'headers';
    return true;
  }

  private headers(): boolean {
    const empty = this.pending.length >= 2 && this.pending[0] === 0x0d && this.pending[1] === 0x0a;
    const end = empty ? 0 : this.pending.indexOf(BLANK_LINE);
    const next = empty ? -1 : this.pending.indexOf(this.delimiter);
    if (next !== -1 && (end === -1 || next < end))
      throw this.framing(
        `has a part (${this.parts + 1}) whose headers do not end (with a blank line) before the next delimiter`,
      );
    if (end === -1 || end > MAX_PART_HEADER_BYTES) {
      if (end === -1 && this.pending.length <= MAX_PART_HEADER_BYTES + 4) return false;
      throw this.framing(
        `has a part (${this.parts + 1}) whose headers are larger than ${MAX_PART_HEADER_BYTES} bytes`,
      );
    }
    const block = this.pending.toString('latin1', 0, end);
    this.pending = this.pending.subarray(empty ? 2 : end + BLANK_LINE.length);
    this.sink = this.onPart(readPartHeaders(block, ++this.parts, this.says));
    this.state = 'body';
    return true;
  }

  private ignore(bytes: number, where: string): void {
    this.ignored += bytes;
    // The CRLF put before the body is no byte of it.
    if (this.ignored > MAX_IGNORED_BYTES + CRLF.length)
      throw this.framing(`has more than ${MAX_IGNORED_BYTES} bytes ${where}`);
  }

  private framing(problem: string): DomainError {
    const message = `the multipart body ${problem}`;
    return new DomainError('bad_request', `${message}; send ${this.says}`, [
      { code: 'multipart_framing', message },
    ]);
  }
}
