import { hasDuplicateKeys } from '@convergio/contracts';
import { childPointer } from './bounded-text.js';

/**
 * Bounds on an SBOM, checked before the CycloneDX schema or any matching looks at it, so that
 * a hostile SBOM costs at most linear work in `maxBytes`.
 */
export interface SbomLimits {
  /** Largest SBOM, in bytes of UTF-8. */
  maxBytes: number;
  /** Deepest nesting of JSON objects and arrays (`{}` is 1), counted on the text before parsing. */
  maxDepth: number;
  /** Most components, nested ones (`components[].components[]`) included. */
  maxComponents: number;
}

/**
 * The default {@link SbomLimits}: 10 MiB, depth 64 (a component nested in a component adds 2),
 * 20 000 components. A large application's SBOM holds a few thousand components; a plugin's far
 * fewer.
 */
export const SBOM_LIMITS: Readonly<SbomLimits> = Object.freeze({
  maxBytes: 10 * 1024 * 1024,
  maxDepth: 64,
  maxComponents: 20_000,
});

/** One component of the SBOM, where it is and what identifies it (unchecked values). */
export interface SbomComponent {
  /** JSON pointer of the component: `/components/3/components/0`. */
  path: string;
  purl: unknown;
  version: unknown;
}

/** Why the SBOM cannot be read, or its parsed value. */
export type ReadSbom = { ok: true; value: unknown; text: string } | { ok: false; message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The SBOM's JSON value: strict UTF-8 (a BOM is refused), within the bytes and depth limits, each
 * key at most once in an object.
 */
export function readSbom(bytes: Uint8Array, limits: SbomLimits): ReadSbom {
  if (bytes.length > limits.maxBytes)
    return {
      ok: false,
      message: `the SBOM is ${bytes.length} bytes, more than ${limits.maxBytes}`,
    };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, message: 'the SBOM is not valid UTF-8' };
  }
  if (deeperThan(text, limits.maxDepth))
    return { ok: false, message: `objects and arrays nest deeper than ${limits.maxDepth}` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'the SBOM is not JSON' };
  }
  // JSON.parse keeps the last of a repeated key: {"components":[<vulnerable>],"components":[]}
  // would be matched as empty while another reader of the stored SBOM sees the first.
  if (hasDuplicateKeys(text, value))
    return {
      ok: false,
      message: 'the SBOM names a key more than once in one object: write each key once',
    };
  return { ok: true, value, text };
}

/** True when brackets outside strings nest deeper than `max`: linear, no recursion. */
function deeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (inString) {
      if (unit === 0x5c) i++;
      else if (unit === 0x22) inString = false;
    } else if (unit === 0x22) inString = true;
    else if (unit === 0x7b || unit === 0x5b) {
      if (++depth > max) return true;
    } else if (unit === 0x7d || unit === 0x5d) depth--;
  }
  return false;
}

/**
 * Every component of `components` and of their `components` (each list in document order, a
 * list before the lists nested in it); `undefined` as soon as there are more than `max`. Anything that is not an array of objects is
 * skipped (the schema check reports it).
 */
export function sbomComponents(
  bom: Record<string, unknown>,
  max: number,
): SbomComponent[] | undefined {
  const found: SbomComponent[] = [];
  const pending: { list: unknown; path: string }[] = [
    { list: bom.components, path: '/components' },
  ];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (!Array.isArray(next.list)) continue;
    const nested: { list: unknown; path: string }[] = [];
    for (let i = 0; i < next.list.length; i++) {
      const component: unknown = next.list[i];
      if (!isObject(component)) continue;
      if (found.length === max) return undefined;
      const path = childPointer(next.path, i);
      found.push({ path, purl: component.purl, version: component.version });
      nested.push({ list: component.components, path: childPointer(path, 'components') });
    }
    pending.push(...nested.reverse());
  }
  return found;
}

/** A JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
