import type { Manifest } from '@convergio/contracts';
import {
  greetModule,
  hostile,
  manifestFor,
  packageOf,
  type HostileEntry,
} from './hostile-entry.js';

/** GATEWAY_MAX_MANIFEST_BYTES by default (services/gateway/src/config/gateway.config.ts). */
const GATEWAY_DEFAULT_MAX_MANIFEST_BYTES = 256 * 1024;

/** `text` with `insert` added just before its last `}`: a member appended to the top object. */
const appendMember = (text: string, insert: string) =>
  `${text.slice(0, text.lastIndexOf('}'))},${insert}}`;
const withInputSchema = (id: string, inputSchema: Record<string, unknown>) =>
  manifestFor(id, {
    capabilities: {
      tools: [
        { name: 'greet', function: 'greet', description: 'Says hello', input_schema: inputSchema },
      ],
    },
  });
const without = (manifest: Manifest, ...keys: string[]) =>
  Object.fromEntries(Object.entries(manifest).filter(([key]) => !keys.includes(key)));

/**
 * plugin.json the gateway refuses before anything is stored: not UTF-8 JSON, what JSON.parse
 * would silently resolve (duplicate keys, rounded numbers), characters no service can store,
 * too deep, too large, and schema failures.
 */
export const TEXT_ENTRIES: HostileEntry[] = [
  hostile(
    'not JSON',
    { stage: 'gateway', code: 'bad_request', libraryCode: 'manifest_invalid_json' },
    (_ctx, id) => ({
      manifest: `{"id": "${id}", "name": `,
      module: greetModule(),
    }),
  ),
  hostile(
    'not UTF-8',
    { stage: 'gateway', code: 'bad_request', libraryCode: 'manifest_invalid_json' },
    (_ctx, id) => {
      const text = JSON.stringify(manifestFor(id, { author: 'AUTHOR' }));
      const at = text.indexOf('AUTHOR');
      return {
        manifest: Buffer.concat([
          Buffer.from(text.slice(0, at)),
          Buffer.from([0xc3, 0x28, 0xff]),
          Buffer.from(text.slice(at + 'AUTHOR'.length)),
        ]),
        module: greetModule(),
      };
    },
  ),
  hostile(
    'UTF-8 byte order mark',
    { stage: 'gateway', code: 'bad_request', libraryCode: 'manifest_invalid_json' },
    (_ctx, id) => ({
      manifest: Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(JSON.stringify(manifestFor(id))),
      ]),
      module: greetModule(),
    }),
  ),
  hostile(
    'lone surrogate in the name',
    { stage: 'gateway', code: 'invalid_characters' },
    (_ctx, id) => packageOf(manifestFor(id, { name: 'Greet \ud800' })),
  ),
  hostile('NUL in the author', { stage: 'gateway', code: 'invalid_characters' }, (_ctx, id) =>
    packageOf(manifestFor(id, { author: 'Mallory\u0000Admin' })),
  ),
  hostile(
    'NUL in an input schema key',
    { stage: 'gateway', code: 'invalid_characters' },
    (_ctx, id) =>
      packageOf(
        withInputSchema(id, { type: 'object', properties: { 'na\u0000me': { type: 'string' } } }),
      ),
  ),
  hostile(
    'terminal escapes in the name',
    { stage: 'gateway', code: 'invalid_characters', libraryCode: 'manifest_invalid' },
    (_ctx, id) => packageOf(manifestFor(id, { name: '\u001b[2J\u001b[31mRED\r\nPWNED' })),
  ),
  hostile(
    'two tools of one name',
    { stage: 'gateway', code: 'duplicate_name', libraryCode: 'manifest_invalid' },
    (_ctx, id) => {
      const tool = {
        name: 'greet',
        function: 'greet',
        description: 'Says hello',
        input_schema: { type: 'object' },
      };
      return packageOf(
        manifestFor(id, {
          capabilities: { tools: [tool, { ...tool, input_schema: { type: 'string' } }] },
        }),
      );
    },
  ),
  hostile(
    'duplicate top-level key',
    { stage: 'gateway', code: 'manifest_duplicate_key' },
    (_ctx, id) => ({
      manifest: appendMember(JSON.stringify(manifestFor(id)), '"version":"9.9.9"'),
      module: greetModule(),
    }),
  ),
  hostile(
    'duplicate key spelled with a unicode escape',
    { stage: 'gateway', code: 'manifest_duplicate_key' },
    (_ctx, id) => ({
      manifest: appendMember(
        JSON.stringify(manifestFor(id)),
        '"perm\\u0069ssions":{"proc.exec":{"binaries":["/bin/sh"]}}',
      ),
      module: greetModule(),
    }),
  ),
  hostile(
    'duplicate sha256 inside signing',
    { stage: 'gateway', code: 'manifest_duplicate_key' },
    (_ctx, id) => ({
      manifest: JSON.stringify(manifestFor(id)).replace(
        '"signing":{',
        `"signing":{"sha256":"${'0'.repeat(64)}",`,
      ),
      module: greetModule(),
    }),
  ),
  hostile(
    'duplicate key in a tool input schema',
    { stage: 'gateway', code: 'manifest_duplicate_key' },
    (_ctx, id) => ({
      manifest: JSON.stringify(manifestFor(id)).replace(
        '"properties":{',
        '"properties":{"name":{"type":"number"},',
      ),
      module: greetModule(),
    }),
  ),
  hostile(
    'integer beyond 2^53',
    { stage: 'gateway', code: 'manifest_unsafe_number' },
    (_ctx, id) => ({
      manifest: appendMember(JSON.stringify(manifestFor(id)), '"limits":{"fuel":9007199254740993}'),
      module: greetModule(),
    }),
  ),
  hostile(
    'number overflowing to Infinity',
    { stage: 'gateway', code: 'manifest_unsafe_number' },
    (_ctx, id) => ({
      manifest: appendMember(JSON.stringify(manifestFor(id)), '"limits":{"wall_time_ms":1e400}'),
      module: greetModule(),
    }),
  ),
  hostile(
    'arrays nested ten thousand deep',
    { stage: 'gateway', code: 'json_too_deep', libraryCode: 'manifest_too_deep' },
    (_ctx, id) => ({
      manifest: JSON.stringify(withInputSchema(id, { type: 'object', default: 'DEEP' })).replace(
        '"DEEP"',
        `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
      ),
      module: greetModule(),
    }),
  ),
  hostile(
    'manifest over the gateway size limit',
    { stage: 'gateway', code: 'manifest_too_large', libraryCode: 'input_schema_too_large' },
    (_ctx, id) =>
      packageOf(
        withInputSchema(id, {
          type: 'object',
          description: 'x'.repeat(GATEWAY_DEFAULT_MAX_MANIFEST_BYTES + 1024),
        }),
      ),
  ),
  hostile(
    'input schema over 64 KiB',
    { stage: 'gateway', code: 'input_schema_too_large' },
    (_ctx, id) =>
      packageOf(withInputSchema(id, { type: 'object', description: 'x'.repeat(100 * 1024) })),
  ),
  hostile(
    'required fields missing',
    { stage: 'gateway', code: 'schema.required', libraryCode: 'manifest_invalid' },
    (_ctx, id) => packageOf(without(manifestFor(id), 'author', 'license')),
  ),
  hostile(
    'entrypoint escaping its folder',
    { stage: 'gateway', code: 'schema.pattern', libraryCode: 'manifest_invalid' },
    (_ctx, id) => packageOf(manifestFor(id, { entrypoint: '../escape.wasm' })),
  ),
  hostile(
    'plugin id with a slash',
    { stage: 'gateway', code: 'schema.pattern', libraryCode: 'manifest_invalid' },
    (_ctx, id) => packageOf(manifestFor(`${id}/../admin`)),
  ),
  hostile(
    'proto key at the top',
    { stage: 'gateway', code: 'schema.additionalProperties', libraryCode: 'manifest_invalid' },
    (_ctx, id) => ({
      manifest: appendMember(JSON.stringify(manifestFor(id)), '"__proto__":{"trust":"official"}'),
      module: greetModule(),
    }),
  ),
  hostile(
    'permission outside the catalog',
    { stage: 'gateway', code: 'schema.additionalProperties', libraryCode: 'manifest_invalid' },
    (_ctx, id) => packageOf({ ...manifestFor(id), permissions: { 'kernel.root': {} } }),
  ),
  hostile(
    'signature without signer id',
    { stage: 'gateway', code: 'schema.dependencies', libraryCode: 'manifest_invalid' },
    (_ctx, id) => {
      const manifest = manifestFor(id);
      return packageOf({
        ...manifest,
        signing: { ...manifest.signing, signature: 'A'.repeat(86) },
      });
    },
  ),
  hostile(
    'signing with alg none',
    { stage: 'gateway', code: 'schema.additionalProperties', libraryCode: 'manifest_invalid' },
    (_ctx, id) => {
      const manifest = manifestFor(id);
      return packageOf({ ...manifest, signing: { ...manifest.signing, alg: 'none' } });
    },
  ),
  hostile(
    'memory pages beyond 4 GiB',
    { stage: 'gateway', code: 'schema.maximum', libraryCode: 'manifest_invalid' },
    (_ctx, id) => packageOf(manifestFor(id, { limits: { memory_pages: 70_000 } })),
  ),
];
