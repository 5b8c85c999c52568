import { parse, type ValueNode } from '@humanwhocodes/momoa';
import {
  escapeAuditText,
  jsonKeyCount,
  jsonMemberCount,
  unstorableCharacters,
} from '@convergio/contracts';
import { refusal, type SigningRefusal } from './codes.js';
import { MAX_MANIFEST_DEPTH } from './json-data.js';
import { childPointer, reportedPointer } from './json-pointer.js';

/** Options of {@link parseManifestText}. */
export interface ParseManifestOptions {
  /** Deepest nesting of objects and arrays (`{}` is 1); default {@link MAX_MANIFEST_DEPTH}. */
  maxDepth?: number;
}

/** The value of plugin.json, or why it is refused. */
export type ParsedManifestText = { ok: true; value: unknown } | SigningRefusal;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const INTEGER = /^-?(0|[1-9]\d*)$/;
const MAX_MESSAGE = 300;

/**
 * Parses plugin.json (a string, or its bytes as strict UTF-8: a byte order mark or an invalid
 * sequence is refused with a message saying how to save it, never replaced or skipped: every
 * reader of the manifest must see the same text) and refuses, before anything else looks at it, whatever JSON.parse
 * would accept but silently resolve or change, so that the value checked is the value signed:
 *
 * - `manifest_invalid_json`: not JSON (RFC 8259), or not UTF-8.
 * - `manifest_too_deep`: nesting deeper than `maxDepth`, checked before any recursive walk.
 * - `manifest_duplicate_key`: an object holding a key twice at any depth, compared after
 *   unescaping (`"a"` and `"\u0061"` are the same key); JSON.parse keeps the last one, other
 *   parsers the first (the confusion behind CVE-2017-12635, CouchDB). `path` is the JSON
 *   pointer of the second occurrence.
 * - `manifest_unsafe_number`: an integer written without fraction or exponent outside
 *   ±(2^53 − 1), which I-JSON (RFC 7493 §2.2, required by RFC 8785 §3.1) excludes and JSON.parse
 *   rounds (9007199254740993 would become 9007199254740992); a number that overflows to
 *   ±Infinity (`1e400`) or a non-zero one that underflows to 0 (`1e-400`). Numbers written with
 *   a fraction or exponent are IEEE-754 doubles and are rounded as RFC 8785 §3.2.2.3 says.
 * - `invalid_characters`: NUL or a lone UTF-16 surrogate in a string or key (`details` lists
 *   each, with the paths the gateway reports), which no service could store.
 *
 * A `__proto__` key stays an own data property (JSON.parse semantics): it sets no prototype
 * and pollutes nothing. Duplicates are found on the AST of `@humanwhocodes/momoa`; the value
 * returned is JSON.parse's. Never throws.
 */
export function parseManifestText(
  input: string | Uint8Array,
  options: ParseManifestOptions = {},
): ParsedManifestText {
  const maxDepth = options.maxDepth ?? MAX_MANIFEST_DEPTH;
  try {
    const text = typeof input === 'string' ? input : decodeUtf8(input);
    if (typeof text !== 'string') return text;
    if (text.startsWith('\uFEFF'))
      return refusal(
        'manifest_invalid_json',
        'plugin.json starts with a byte order mark (U+FEFF, the bytes EF BB BF), which JSON does not allow (RFC 8259 §8.1): remove the byte order mark (save it as UTF-8 without BOM)',
      );
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return refusal('manifest_invalid_json', `plugin.json is not valid JSON: ${brief(error)}`);
    }
    const deep = pathDeeperThan(value, maxDepth);
    if (deep !== undefined)
      return refusal(
        'manifest_too_deep',
        `objects and arrays nest deeper than ${maxDepth}`,
        reportedPointer(deep),
      );
    const syntaxProblem = plainText(text, value) ? undefined : treeProblem(text);
    if (syntaxProblem) return syntaxProblem;
    const unstorable = unstorableCharacters(value);
    if (unstorable.length > 0)
      return {
        ...refusal('invalid_characters', unstorable[0].message, unstorable[0].path),
        details: unstorable,
      };
    return { ok: true, value };
  } catch (error) {
    return refusal('manifest_invalid_json', `plugin.json could not be read: ${brief(error)}`);
  }
}

/** plugin.json's bytes as strict UTF-8, or its refusal saying what to save it as instead. */
function decodeUtf8(bytes: Uint8Array): string | SigningRefusal {
  try {
    return utf8.decode(bytes);
  } catch {
    const utf16 =
      (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
    return refusal(
      'manifest_invalid_json',
      `plugin.json is not valid UTF-8${utf16 ? ' (it starts with a UTF-16 byte order mark)' : ''}: save it as UTF-8${utf16 ? ' without a byte order mark' : ' (not latin1, UTF-16 or another encoding)'}`,
    );
  }
}

/** The pointer of a container nested deeper than `maxDepth`, walking without recursion. */
function pathDeeperThan(value: unknown, maxDepth: number): string | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [
    { value, path: '', depth: 1 },
  ];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth > maxDepth) return next.path;
    for (const [key, child] of Object.entries(next.value))
      pending.push({ value: child, path: childPointer(next.path, key), depth: next.depth + 1 });
  }
  return undefined;
}

/**
 * Whether text JSON.parse has read holds no duplicate key and no unsafe number, found in one
 * pass without a parse tree (jsonMemberCount: duplicates exactly when the text names more
 * members than the parsed value has keys; each number token judged on its own). Only a text that
 * fails this is parsed again into a tree, to name the first problem and its path (a tree costs
 * some 50 times JSON.parse).
 */
function plainText(text: string, value: unknown): boolean {
  const members = jsonMemberCount(text, (raw) => !numberProblem(raw, Number(raw)));
  return members === jsonKeyCount(value);
}

/** Duplicate keys and unsafe numbers, first in document order, from the parse tree. */
function treeProblem(text: string): SigningRefusal | undefined {
  let body: ValueNode;
  try {
    body = parse(text, { mode: 'json' }).body;
  } catch (error) {
    return refusal('manifest_invalid_json', `plugin.json is not valid JSON: ${brief(error)}`);
  }
  const pending: { node: ValueNode; path: string }[] = [{ node: body, path: '' }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { node, path } = next;
    if (node.type === 'Number') {
      const problem = numberProblem(
        text.slice(node.loc.start.offset, node.loc.end.offset),
        node.value,
      );
      if (problem) return refusal('manifest_unsafe_number', problem, reportedPointer(path));
    } else if (node.type === 'Array') {
      for (let i = node.elements.length - 1; i >= 0; i--)
        pending.push({ node: node.elements[i].value, path: childPointer(path, i) });
    } else if (node.type === 'Object') {
      const seen = new Set<string>();
      const children: { node: ValueNode; path: string }[] = [];
      for (const member of node.members) {
        // In JSON mode every name is a string node; `value` is the unescaped key.
        const key = member.name.type === 'String' ? member.name.value : member.name.name;
        const at = childPointer(path, key);
        if (seen.has(key))
          return refusal(
            'manifest_duplicate_key',
            `the key ${JSON.stringify(key)} appears more than once in one object`,
            reportedPointer(at),
          );
        seen.add(key);
        children.push({ node: member.value, path: at });
      }
      pending.push(...children.reverse());
    }
  }
  return undefined;
}

function numberProblem(raw: string, value: number): string | undefined {
  if (!Number.isFinite(value)) return `${raw} is beyond the range of a double`;
  if (value === 0 && /[1-9]/.test(raw.split(/[eE]/)[0]))
    return `${raw} is too small for a double and would read as 0`;
  if (INTEGER.test(raw) && !Number.isSafeInteger(value))
    return `the integer ${raw} is outside ±(2^53 - 1) and would read as ${String(value)}`;
  return undefined;
}

function brief(error: unknown): string {
  return escapeAuditText(error instanceof Error ? error.message : String(error)).slice(
    0,
    MAX_MESSAGE,
  );
}
