import { DomainError } from '@convergio/contracts';

/** What a part of a multipart/form-data body says of itself in its headers. */
export interface FormPart {
  /** Its position in the body, from 1. */
  index: number;
  /** The `name` of its Content-Disposition. */
  name: string;
  /** Its Content-Transfer-Encoding, lower-cased, when it has one. */
  transferEncoding?: string;
}

/** RFC 9110 `token`. */
const TOKEN = /^[\w!#$%&'*+.^`|~-]+$/;
const TOKEN_AT = /[\w!#$%&'*+.^`|~-]+/y;
const OWS_AT = /[ \t]*/y;
const SHOWN_CHARS = 100;

/**
 * The part `index` of a body as its header block (the text between its delimiter line and the
 * blank line, read as latin1 so each byte is one character) describes it. Strict where busboy
 * was lenient, so that no part is skipped, renamed or read as another reader would not:
 * - each line is `Name: value`, each header at most once, no folded line (400 `part_headers`);
 * - Content-Disposition is there, of type `form-data`, with exactly one non-empty `name`; its
 *   parameters parse (a quoted value is closed), none twice, none extended (`name*`,
 *   `filename*`, which RFC 7578 §4.2 forbids) (400 `part_disposition`).
 * `says` ends each message: what the route takes.
 * @throws DomainError `bad_request`, detail `part_headers` or `part_disposition`.
 */
export function readPartHeaders(block: string, index: number, says: string): FormPart {
  const headers = new Map<string, string>();
  for (const line of block === '' ? [] : block.split('\r\n')) {
    if (line.startsWith(' ') || line.startsWith('\t'))
      throw refused(
        index,
        'part_headers',
        `has a folded header line, which RFC 9112 §5.2 made obsolete`,
        says,
      );
    const colon = line.indexOf(':');
    const name = line.slice(0, Math.max(colon, 0));
    if (!TOKEN.test(name))
      throw refused(
        index,
        'part_headers',
        `has the line ${shown(line)}, which is not a header`,
        says,
      );
    const key = name.toLowerCase();
    if (headers.has(key)) throw refused(index, 'part_headers', `has ${name} twice`, says);
    headers.set(key, line.slice(colon + 1).trim());
  }
  const disposition = headers.get('content-disposition');
  if (disposition === undefined)
    throw refused(index, 'part_disposition', 'has no Content-Disposition', says);
  const name = formDataName(disposition, (problem) =>
    refused(index, 'part_disposition', problem, says),
  );
  const transferEncoding = headers.get('content-transfer-encoding')?.toLowerCase();
  return transferEncoding === undefined ? { index, name } : { index, name, transferEncoding };
}

/** The `name` of a Content-Disposition `form-data; name="..."` (RFC 7578 §4.2, RFC 6266 §4.1). */
function formDataName(value: string, refuse: (problem: string) => DomainError): string {
  const semicolon = value.indexOf(';');
  const type = (semicolon === -1 ? value : value.slice(0, semicolon)).trim();
  if (type.toLowerCase() !== 'form-data')
    throw refuse(`has the Content-Disposition ${shown(type)}, not form-data`);
  const parameters = new Map<string, string>();
  let at = semicolon === -1 ? value.length : semicolon;
  while (at < value.length) {
    // At a ";": then a name, "=", a token or a quoted string.
    at = skipOws(value, at + 1);
    if (at === value.length) break;
    const name = tokenAt(value, at);
    at = skipOws(value, at + name.length);
    if (name === '' || value[at] !== '=')
      throw refuse(`has Content-Disposition parameters that do not parse: ${shown(value)}`);
    at = skipOws(value, at + 1);
    let parameter: string;
    if (value[at] === '"') [parameter, at] = quotedAt(value, at, name, refuse);
    else {
      parameter = tokenAt(value, at);
      at += parameter.length;
    }
    const key = name.toLowerCase();
    if (key.endsWith('*'))
      throw refuse(`has the extended parameter ${name}, which RFC 7578 §4.2 forbids`);
    if (parameters.has(key)) throw refuse(`has the Content-Disposition parameter ${name} twice`);
    parameters.set(key, parameter);
    at = skipOws(value, at);
    if (at < value.length && value[at] !== ';')
      throw refuse(`has Content-Disposition parameters that do not parse: ${shown(value)}`);
  }
  const name = parameters.get('name');
  if (name === undefined) throw refuse('has no name in its Content-Disposition');
  if (name === '') throw refuse('has an empty name in its Content-Disposition');
  return name;
}

/** The quoted string at `at` (its `\` escapes undone) and where it ends. */
function quotedAt(
  value: string,
  at: number,
  name: string,
  refuse: (problem: string) => DomainError,
): [string, number] {
  let text = '';
  for (let i = at + 1; i < value.length; i++) {
    if (value[i] === '"') return [text, i + 1];
    if (value[i] === '\\') i++;
    if (i < value.length) text += value[i];
  }
  throw refuse(`has the value of ${name} not closed by a quote: ${shown(value)}`);
}

function tokenAt(value: string, at: number): string {
  TOKEN_AT.lastIndex = at;
  return TOKEN_AT.exec(value)?.[0] ?? '';
}

function skipOws(value: string, at: number): number {
  OWS_AT.lastIndex = at;
  OWS_AT.exec(value);
  return OWS_AT.lastIndex;
}

const shown = (text: string) => JSON.stringify(text.slice(0, SHOWN_CHARS));

function refused(index: number, code: string, problem: string, says: string): DomainError {
  const message = `part ${index} of the multipart body ${problem}`;
  return new DomainError(
    'bad_request',
    `${message}: each part needs one Content-Disposition: form-data; name="..." (RFC 7578 §4.2); send ${says}`,
    [{ code, message }],
  );
}
