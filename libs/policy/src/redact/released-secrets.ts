import { CUT_MARK } from './cut-mark.js';
import { decodedViews } from './decoded-views.js';

/** What a secret is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Shortest piece of a released value (in a reading of the text) taken for the value where the
 * text was cut: before a CUT_MARK (`…`), which the platform leaves wherever it cuts.
 */
export const MIN_CUT_PIECE = 4;
/** Binary encodings shorter than this are not looked for (they would match everywhere). */
const MIN_ENCODED_FORM = 6;
/** Cut marks looked at per reading, the last ones (the platform cuts at the end). */
const MAX_CUT_MARKS = 16;
/** Forms remembered per value; the cache is emptied past this many values. */
const MAX_CACHED_VALUES = 4096;

const formsCache = new Map<string, string[]>();

/**
 * ASCII letters in lower case, nothing else changed: the same for a value alone and inside any
 * text, and the length kept (so positions stay valid). Unicode case mappings are neither (`İ`,
 * the Greek final sigma).
 */
function fold(text: string): string {
  return /[\u0080-\uffff]/.test(text)
    ? text.replace(/[A-Z]+/g, (s) => s.toLowerCase())
    : text.toLowerCase();
}

/**
 * The forms of `secret` looked for in every reading of a text, folded to lower case: the value;
 * its UTF-8 bytes in hex, base64 and base64url; and in base64 and base64url at each of the 3
 * alignments it can have inside a longer encoded text (`user:value` in an HTTP Basic header),
 * without the characters that also depend on the bytes around it (at most 4 bits of the value
 * each, at its two ends). Percent, JSON, JavaScript and HTML escaping are undone in the readings,
 * so they need no form of their own.
 */
function releasedForms(secret: string): string[] {
  const cached = formsCache.get(secret);
  if (cached) return cached;
  const forms = new Set<string>([secret]);
  const bytes = Buffer.from(secret, 'utf8');
  const encoded = ['hex', 'base64', 'base64url'].map((e) => bytes.toString(e as BufferEncoding));
  for (let shift = 0; shift < 3; shift++) {
    const shifted = Buffer.concat([Buffer.alloc(shift), bytes]);
    const first = Math.ceil((8 * shift) / 6);
    const end = Math.floor((8 * shifted.length) / 6);
    for (const encoding of ['base64', 'base64url'] as const)
      encoded.push(shifted.toString(encoding).slice(first, end));
  }
  for (const form of encoded) if (form.length >= MIN_ENCODED_FORM) forms.add(form);
  const folded = [...new Set([...forms].map(fold))].filter((f) => f.length > 0);
  if (formsCache.size >= MAX_CACHED_VALUES) formsCache.clear();
  formsCache.set(secret, folded);
  return folded;
}

/** The released forms of length ≥ MIN_CUT_PIECE, by their first MIN_CUT_PIECE code units. */
type FormIndex = Map<number, Map<number, string[]>>;

const pairAt = (text: string, i: number): number =>
  text.charCodeAt(i) * 65536 + text.charCodeAt(i + 1);

/** The forms of length ≥ MIN_CUT_PIECE in `index` that `reading` may hold at `i`. */
function formsAt(index: FormIndex, reading: string, i: number): string[] | undefined {
  return index.get(pairAt(reading, i))?.get(pairAt(reading, i + 2));
}

/**
 * Finds the values released to a plugin in what it emits, however spelled, and redacts them.
 * Built once per set of values (their forms indexed), used for every text; one text costs a pass
 * per reading of it, whatever the number of values.
 */
export class ReleasedSecretScrubber {
  private readonly index: FormIndex = new Map();
  /** Forms too short for the index (values shorter than MIN_CUT_PIECE). */
  private readonly shortForms: string[] = [];
  /** Low bytes of the code units that start an indexed form: most positions are passed on this. */
  private readonly starts = new Uint8Array(256);
  private longestForm = 0;

  constructor(releasedSecrets: Iterable<string>) {
    for (const secret of releasedSecrets) {
      if (typeof secret !== 'string' || secret.length === 0) continue;
      for (const form of releasedForms(secret)) {
        this.longestForm = Math.max(this.longestForm, form.length);
        if (form.length < MIN_CUT_PIECE) {
          this.shortForms.push(form);
          continue;
        }
        this.starts[form.charCodeAt(0) & 0xff] = 1;
        const outer = this.index.get(pairAt(form, 0)) ?? new Map<number, string[]>();
        this.index.set(pairAt(form, 0), outer);
        const forms = outer.get(pairAt(form, 2)) ?? [];
        outer.set(pairAt(form, 2), forms);
        if (!forms.includes(form)) forms.push(form);
      }
    }
  }

  /** True when no value was released: {@link redact} returns every text as it is. */
  get empty(): boolean {
    return this.longestForm === 0;
  }

  /**
   * `text` with every released value replaced with `[REDACTED]`, and nothing else: for what a
   * plugin emits, which may legitimately hold key-like text (ADR 0014).
   *
   * A value is found in the text and in every decoded reading of it (see decodedViews:
   * percent-encoding with `+` as a space or not, JSON/JavaScript escapes including `\uXXXX` of
   * any character, HTML character references, nested up to MAX_DECODE_ROUNDS deep), as itself,
   * its hex or its base64/base64url at any alignment, ASCII letters in any case. What a reading
   * matched is redacted in the text with the escapes that spelled it. Where the text was cut
   * (before a CUT_MARK), a piece of at least MIN_CUT_PIECE code units that starts a form is
   * redacted too, up to the mark. Every character any match covers is redacted, so values
   * that contain or overlap one another leave nothing in the clear; adjacent spans become one
   * `[REDACTED]`.
   */
  redact(text: string): string {
    if (this.empty || text.length === 0) return text;
    const covered = new Uint8Array(text.length);
    let any = false;
    const mark = (start: number, end: number) => {
      if (end <= start) return;
      covered.fill(1, start, end);
      any = true;
    };
    for (const view of [null, ...decodedViews(text)]) {
      const reading = fold(view?.text ?? text);
      const span = (i: number, j: number) =>
        view ? mark(view.from[i], view.to[j - 1]) : mark(i, j);
      this.findAll(reading, span);
      for (const cut of cutsOf(reading)) {
        const start = this.cutPieceStart(reading, cut);
        if (start === -1) continue;
        mark(view ? view.from[start] : start, view ? view.from[cut] : cut);
      }
    }
    if (!any) return text;
    let out = '';
    for (let i = 0; i < text.length;) {
      let end = i;
      while (end < text.length && covered[end] === covered[i]) end++;
      out += covered[i] ? REDACTED : text.slice(i, end);
      i = end;
    }
    return out;
  }

  /** Every occurrence of every form in `reading`, overlapping ones too, as [start, end). */
  private findAll(reading: string, span: (i: number, j: number) => void): void {
    let filledTo = 0;
    const found = (i: number, end: number) => {
      if (end <= filledTo) return;
      span(Math.max(i, filledTo), end);
      filledTo = end;
    };
    for (let i = 0; i + MIN_CUT_PIECE <= reading.length; i++) {
      if (this.starts[reading.charCodeAt(i) & 0xff] === 0) continue;
      const forms = formsAt(this.index, reading, i);
      if (forms)
        for (const form of forms) if (reading.startsWith(form, i)) found(i, i + form.length);
    }
    // Spans from the short forms may come before those above: marked on their own.
    for (const form of this.shortForms) {
      filledTo = 0;
      for (let i = reading.indexOf(form); i !== -1; i = reading.indexOf(form, i + 1))
        found(i, i + form.length);
    }
  }

  /**
   * Where the piece of a form that `reading` ends with before `cut` starts (an escape cut in its
   * middle ignored), or -1: the longest such piece of at least MIN_CUT_PIECE code units.
   */
  private cutPieceStart(reading: string, cut: number): number {
    const partial = PARTIAL_ESCAPE.exec(reading.slice(Math.max(0, cut - 12), cut))?.[0] ?? '';
    // What looks like a cut escape may be the value's own text: both ends are tried.
    const ends = partial.length > 0 ? [cut, cut - partial.length] : [cut];
    let best = -1;
    for (const end of ends) {
      // A piece is shorter than its form (a whole form is found anyway) and ends at `end`.
      for (let i = Math.max(0, end - this.longestForm + 1); i <= end - MIN_CUT_PIECE; i++) {
        if (best !== -1 && i >= best) break;
        const piece = () => reading.slice(i, end);
        const forms = formsAt(this.index, reading, i);
        if (forms?.some((form) => form.length > end - i && form.startsWith(piece()))) {
          best = i;
          break;
        }
      }
    }
    return best;
  }
}

/** Values released to a plugin as a caller holds them: the values, or a scrubber built for them. */
export type ReleasedValues = readonly string[] | ReleasedSecretScrubber;

/** The scrubber for `released`: itself when it is one, else built (its cost grows with the values). */
export function scrubberOf(released: ReleasedValues): ReleasedSecretScrubber {
  return released instanceof ReleasedSecretScrubber
    ? released
    : new ReleasedSecretScrubber(released);
}

/**
 * `text` without any of `released`, however spelled (see ReleasedSecretScrubber.redact). A
 * caller redacting many texts with the same values passes a scrubber, built once.
 */
export function redactReleasedSecrets(text: string, released: ReleasedValues): string {
  // The usual case on every log line and telemetry event: nothing released, nothing built.
  if (Array.isArray(released) && released.length === 0) return text;
  return scrubberOf(released).redact(text);
}

/** Where `reading` was cut: before its last MAX_CUT_MARKS cut marks. */
function cutsOf(reading: string): number[] {
  const cuts: number[] = [];
  for (let i = reading.lastIndexOf(CUT_MARK); i > 0 && cuts.length < MAX_CUT_MARKS;) {
    cuts.push(i);
    i = reading.lastIndexOf(CUT_MARK, i - 1);
  }
  return cuts;
}

// An escape cut before its end: `%`, `%2`, `%c3` (a UTF-8 sequence cut), `\`, `\u00`, `&#x4`.
const PARTIAL_ESCAPE =
  /(?:(?:%[89a-f][0-9a-f]){0,3}(?:%[0-9a-f]?)?|\\(?:u\{?[0-9a-f]{0,5}|x[0-9a-f]?)?|&#?x?[0-9a-z]{0,7})$/;
