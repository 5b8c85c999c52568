import { unstorableCharacters } from '@convergio/contracts';
import { refusal, type SigningRefusal } from './codes.js';
import { childPointer, reportedPointer } from './json-pointer.js';

/**
 * The deepest nesting of objects and arrays accepted (`{}` and `[]` are depth 1): the largest
 * `GATEWAY_MAX_JSON_DEPTH` the gateway can be configured with, so nothing it lets through is
 * refused here, while recursive code after the check (the AST walk of the parser, the RFC 8785
 * canonicaliser, Ajv) stays far from the stack limit.
 */
export const MAX_MANIFEST_DEPTH = 512;

/**
 * Why `value` is not plain JSON data, or undefined if it is. JSON data is null, booleans,
 * finite numbers, strings, dense arrays and objects with Object.prototype or null as prototype
 * whose own properties are enumerable data properties with string keys. Anything else would be
 * serialised by rules other than JSON's (a `toJSON`, a getter, a dropped `undefined`), so the
 * bytes signed could differ from the value checked. Also refuses nesting deeper than `maxDepth`
 * (checked without recursion, first) and NUL or lone surrogates (`invalid_characters`, every
 * one listed, as the gateway does).
 */
export function jsonDataProblem(
  value: unknown,
  maxDepth: number = MAX_MANIFEST_DEPTH,
): SigningRefusal | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [
    { value, path: '', depth: 1 },
  ];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value: v, path, depth } = next;
    const at = reportedPointer(path);
    switch (typeof v) {
      case 'string':
      case 'boolean':
        continue;
      case 'number':
        if (Number.isFinite(v)) continue;
        return refusal('manifest_invalid_json', `${String(v)} is not a JSON number`, at);
      case 'object':
        break;
      case 'undefined':
      case 'bigint':
      case 'symbol':
      case 'function':
        return refusal('manifest_invalid_json', `a ${typeof v} is not JSON data`, at);
    }
    if (v === null) continue;
    if (depth > maxDepth)
      return refusal('manifest_too_deep', `objects and arrays nest deeper than ${maxDepth}`, at);
    const problem = Array.isArray(v) ? arrayProblem(v, at) : objectProblem(v, at);
    if (problem) return problem;
    for (const key of Object.keys(v))
      pending.push({
        value: (v as Record<string, unknown>)[key],
        path: childPointer(path, key),
        depth: depth + 1,
      });
  }
  const unstorable = unstorableCharacters(value);
  if (unstorable.length === 0) return undefined;
  return {
    ...refusal('invalid_characters', unstorable[0].message, unstorable[0].path),
    details: unstorable,
  };
}

function arrayProblem(array: unknown[], at: string): SigningRefusal | undefined {
  if (!isArrayPrototype(Object.getPrototypeOf(array)) || hasToJson(array))
    return refusal('manifest_invalid_json', 'only plain arrays are JSON data', at);
  for (let i = 0; i < array.length; i++)
    if (!Object.prototype.hasOwnProperty.call(array, i))
      return refusal('manifest_invalid_json', `the array has a hole at ${i}`, at);
  return propertiesProblem(array, at, (key) => key === 'length' || /^(0|[1-9]\d*)$/.test(key));
}

function objectProblem(object: object, at: string): SigningRefusal | undefined {
  if (!isPlainObject(object))
    return refusal('manifest_invalid_json', 'only plain objects are JSON data', at);
  return propertiesProblem(object, at, () => true);
}

/**
 * True for an object whose prototype is null or Object.prototype, of this realm or another
 * (a vm context or Jest's sandbox has its own), that has no `toJSON`.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return (prototype === null || isObjectPrototype(prototype)) && !hasToJson(value);
}

function isObjectPrototype(prototype: unknown): boolean {
  if (prototype === Object.prototype) return true;
  if (prototype === null || typeof prototype !== 'object') return false;
  const constructor: unknown = Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value;
  return (
    Object.getPrototypeOf(prototype) === null &&
    typeof constructor === 'function' &&
    constructor.name === 'Object' &&
    (constructor as { prototype?: unknown }).prototype === prototype
  );
}

function isArrayPrototype(prototype: unknown): boolean {
  return (
    prototype === Array.prototype ||
    (Array.isArray(prototype) && isObjectPrototype(Object.getPrototypeOf(prototype)))
  );
}

/** A `toJSON` anywhere on the prototype chain would replace the value when serialised. */
function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/** Own properties must be enumerable data properties (`length` of an array excepted). */
function propertiesProblem(
  container: object,
  at: string,
  keyAllowed: (key: string) => boolean,
): SigningRefusal | undefined {
  if (Object.getOwnPropertySymbols(container).length > 0)
    return refusal('manifest_invalid_json', 'a symbol-keyed property is not JSON data', at);
  for (const key of Object.getOwnPropertyNames(container)) {
    if (!keyAllowed(key))
      return refusal('manifest_invalid_json', `the array has a property ${key}`, at);
    if (Array.isArray(container) && key === 'length') continue;
    const descriptor = Object.getOwnPropertyDescriptor(container, key);
    if (!descriptor || !('value' in descriptor) || !descriptor.enumerable)
      return refusal(
        'manifest_invalid_json',
        `the property ${JSON.stringify(key)} is not an enumerable data property`,
        at,
      );
  }
  return undefined;
}
