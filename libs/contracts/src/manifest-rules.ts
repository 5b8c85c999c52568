import type { ErrorDetail } from './error-codes.js';
import type { Manifest } from './manifest.schema.js';
import { characterRefusal, hasUnstorableCharacters } from './stored-text.js';

// Rules of plugin.json that JSON Schema cannot state. validateManifest applies them, so the
// gateway and verification refuse the same manifests with the same details.

/** Where a tool's input schema sits: plugin data, not text the platform shows (any character). */
const INPUT_SCHEMA = /^\/capabilities\/tools\/\d+\/input_schema(\/|$)/;
/** Text of several lines: descriptions of tools and agents, reasons for permissions. */
const MULTILINE = /^\/capabilities\/(tools|agents)\/\d+\/description$|^\/permission_reasons\//;

/**
 * One `invalid_characters` detail per string of `value` (a manifest, valid or not) that holds a
 * control character (C0, DEL, C1, line and paragraph separators, bidi controls: see
 * characterRefusal), or, outside descriptions and permission reasons, an invisible format
 * character (Unicode Cf): people read these strings in terminals,
 * consoles, logs and approval requests, and a name with an invisible character looks like
 * another. Descriptions and permission reasons may hold tab, newline and format characters
 * (emoji with joiners); tool input schemas are not looked at; a string holding NUL or a lone
 * surrogate is left to {@link unstorableCharacters}.
 */
export function manifestControlCharacters(value: unknown): ErrorDetail[] {
  const found: ErrorDetail[] = [];
  const visit = (v: unknown, path: string): void => {
    if (INPUT_SCHEMA.test(path)) return;
    if (typeof v === 'string') {
      if (!hasUnstorableCharacters(v)) {
        const refusal = characterRefusal(v, MULTILINE.test(path));
        if (refusal) found.push({ code: 'invalid_characters', message: refusal, path });
      }
      return;
    }
    if (v === null || typeof v !== 'object') return;
    for (const [key, child] of Array.isArray(v) ? v.entries() : Object.entries(v))
      visit(child, `${path}/${String(key)}`);
  };
  visit(value, '');
  return found.slice(0, 50);
}

/**
 * One `duplicate_name` detail per entry whose name another entry before it has, at the path of
 * the repeat: tools and agents (one name space, since a call names either), UI entries, and
 * `secrets.read` ids (compared ignoring case, as secret ids are). An invocation reaches the
 * first entry of a name, so a repeat could never be called and would be listed with a schema
 * it is not checked against.
 */
export function repeatedNames(manifest: Manifest): ErrorDetail[] {
  const { tools = [], agents = [], ui = [] } = manifest.capabilities;
  const ids = manifest.permissions['secrets.read']?.ids ?? [];
  return [
    ...repeats([
      ...tools.map((t, i) => ({ name: t.name, path: `/capabilities/tools/${i}/name` })),
      ...agents.map((a, i) => ({ name: a.name, path: `/capabilities/agents/${i}/name` })),
    ]),
    ...repeats(ui.map((u, i) => ({ name: u.name, path: `/capabilities/ui/${i}/name` }))),
    ...repeats(
      ids.map((id, i) => ({ name: id, path: `/permissions/secrets.read/ids/${i}` })),
      (id) => id.toLowerCase(),
    ),
  ];
}

function repeats(
  entries: { name: string; path: string }[],
  key = (name: string) => name,
): ErrorDetail[] {
  const first = new Map<string, string>();
  const found: ErrorDetail[] = [];
  for (const { name, path } of entries) {
    const earlier = first.get(key(name));
    if (earlier === undefined) first.set(key(name), path);
    else
      found.push({
        code: 'duplicate_name',
        message: `"${name}" is the name at ${earlier} already: names must be unique`,
        path,
      });
  }
  return found;
}
