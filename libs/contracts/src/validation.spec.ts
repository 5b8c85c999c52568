import { randomUUID } from 'node:crypto';
import { Type, type TSchema } from '@sinclair/typebox';
import { CRASH_REASONS } from './crash-reasons.js';
import { DomainError } from './error-codes.js';
import { EventSubjects, RequestSubjects } from './subjects.js';
import { PluginIdSchema, ToolSchema } from './manifest.schema.js';
import {
  compileChecker,
  validateEventEnvelope,
  validateManifest,
  validateReplyData,
  validateRequestEnvelope,
} from './validation.js';

const sha = 'a'.repeat(64);
const manifest = {
  id: 'example.greet',
  name: 'Greet',
  version: '1.0.0',
  author: 'Ada',
  license: 'Apache-2.0',
  min_core_version: '0.1.0',
  entrypoint: 'greet.wasm',
  capabilities: {
    tools: [
      {
        name: 'greet',
        function: 'greet',
        description: 'says hello',
        input_schema: { type: 'object' },
      },
    ],
  },
  permissions: { 'net.http': { rules: [{ host: 'api.example.com', methods: ['GET'] }] } },
  signing: { sha256: sha },
};

function envelope(type: string, data: unknown) {
  return {
    id: randomUUID(),
    type,
    version: 1,
    occurred_at: new Date().toISOString(),
    source: 'test',
    correlation_id: 'c1',
    data,
  };
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e.details.map((d) => `${d.code} ${d.path ?? ''}`);
    throw e;
  }
  throw new Error('expected a validation error');
}

describe('manifest validation', () => {
  it('accepts a complete manifest', () => {
    expect(validateManifest(manifest)).toEqual(manifest);
  });

  it.each([
    ['a missing field', { ...manifest, author: undefined }, 'schema.required /author'],
    [
      'an unknown permission',
      { ...manifest, permissions: { 'root.everything': {} } },
      'schema.additionalProperties /permissions/root.everything',
    ],
    [
      'a traversal entrypoint',
      { ...manifest, entrypoint: '../evil.wasm' },
      'schema.pattern /entrypoint',
    ],
    ['an uppercase id', { ...manifest, id: 'Example' }, 'schema.pattern /id'],
    ['a bad version', { ...manifest, version: 'one' }, 'schema.pattern /version'],
    [
      'a signature without signer',
      { ...manifest, signing: { sha256: sha, signature: 'x' } },
      'schema.dependencies /signing',
    ],
    [
      'a non-hex hash',
      { ...manifest, signing: { sha256: 'zz' } },
      'schema.pattern /signing/sha256',
    ],
  ])('refuses %s', (_what, value, expected) => {
    expect(problems(() => validateManifest(JSON.parse(JSON.stringify(value))))).toContain(expected);
  });

  it('lists every problem at once', () => {
    expect(problems(() => validateManifest({})).length).toBeGreaterThanOrEqual(9);
  });

  it.each([
    ['version', '100000000000000000000.0.0'],
    ['version', '9007199254740992.0.0'],
    ['version', '1.9007199254740992.0-beta.1'],
    ['min_core_version', '0.0.99999999999999999999'],
  ])(
    'refuses a %s %s whose numbers semver cannot order, naming the field and the bound, once',
    (field, version) => {
      let refused: DomainError | undefined;
      try {
        validateManifest({ ...manifest, [field]: version });
      } catch (error) {
        refused = error as DomainError;
      }
      expect(refused?.code).toBe('validation_failed');
      expect(refused?.details).toEqual([
        {
          code: 'schema.format',
          path: `/${field}`,
          message:
            'must be a semantic version whose major, minor and patch numbers are each at most 9007199254740991 (Number.MAX_SAFE_INTEGER), the largest semver can order',
        },
      ]);
    },
  );

  it('takes versions whose numbers are at most Number.MAX_SAFE_INTEGER, pre-release and build numbers of any size', () => {
    for (const version of [
      '9007199254740991.9007199254740991.9007199254740991',
      '1.0.0-99999999999999999999',
      '1.0.0+99999999999999999999',
    ])
      expect(validateManifest({ ...manifest, version }).version).toBe(version);
  });
});

describe('names a manifest repeats', () => {
  const tool = (name: string, type: string) => ({
    name,
    function: 'greet',
    description: 'says hello',
    input_schema: { type },
  });
  const withCapabilities = (capabilities: object, permissions: object = manifest.permissions) => ({
    ...manifest,
    capabilities,
    permissions,
  });

  it.each([
    [
      'a tool name',
      withCapabilities({ tools: [tool('x', 'object'), tool('x', 'string')] }),
      '/capabilities/tools/1/name',
    ],
    [
      'a tool name as an agent name',
      withCapabilities({
        tools: [tool('x', 'object')],
        agents: [{ name: 'x', function: 'greet', description: 'd' }],
      }),
      '/capabilities/agents/0/name',
    ],
    [
      'an agent name',
      withCapabilities({
        agents: [
          { name: 'a', function: 'greet', description: 'd' },
          { name: 'a', function: 'other', description: 'd' },
        ],
      }),
      '/capabilities/agents/1/name',
    ],
    [
      'a UI entry name',
      withCapabilities({
        ui: [
          { name: 'panel', entry: 'ui/a.html' },
          { name: 'panel', entry: 'ui/b.html' },
        ],
      }),
      '/capabilities/ui/1/name',
    ],
    [
      'a secret id in another case',
      withCapabilities(manifest.capabilities, {
        'secrets.read': { ids: ['card-number', 'api-key', 'CARD-NUMBER'] },
      }),
      '/permissions/secrets.read/ids/2',
    ],
  ])('refuses %s, naming the repeat', (_what, value, path) => {
    let refused: DomainError | undefined;
    try {
      validateManifest(value);
    } catch (error) {
      refused = error as DomainError;
    }
    expect(refused?.code).toBe('validation_failed');
    expect(refused?.details).toEqual([
      { code: 'duplicate_name', path, message: expect.stringMatching(/names must be unique/) },
    ]);
  });

  it('takes the same function behind two names, and distinct names in each list', () => {
    const value = withCapabilities({
      tools: [tool('x', 'object'), tool('y', 'string')],
      agents: [{ name: 'z', function: 'greet', description: 'd' }],
      ui: [{ name: 'x', entry: 'ui/a.html' }],
    });
    expect(validateManifest(value)).toEqual(value);
  });
});

describe('control characters in manifest text', () => {
  const refusalOf = (fields: object) => {
    try {
      validateManifest({ ...manifest, ...fields });
    } catch (error) {
      return error as DomainError;
    }
  };

  it.each([
    ['the name', { name: '\u001b[2J\u001b[31mRED\r\nPWNED' }, '/name', 'U+001B'],
    ['the author', { author: 'Ada\nLovelace' }, '/author', 'U+000A'],
    ['the license', { license: 'MIT\u009b' }, '/license', 'U+009B'],
    [
      'a tool description (carriage return)',
      {
        capabilities: {
          tools: [{ ...manifest.capabilities.tools[0], description: 'line\r\nforged' }],
        },
      },
      '/capabilities/tools/0/description',
      'U+000D',
    ],
    [
      'a permission reason (DEL)',
      { permission_reasons: { 'net.http': 'because\u007f' } },
      '/permission_reasons/net.http',
      'U+007F',
    ],
  ])('refuses a control character in %s', (_what, fields, path, char) => {
    const refused = refusalOf(fields);
    expect(refused?.code).toBe('validation_failed');
    expect(refused?.details).toEqual([
      { code: 'invalid_characters', path, message: expect.stringContaining(char) },
    ]);
  });

  it.each([
    ['the name (zero-width space)', { name: 'gr\u200beet' }, '/name', 'U+200B at 2'],
    ['the author (right-to-left mark)', { author: 'Ada\u200f' }, '/author', 'U+200F'],
    ['the license (soft hyphen)', { license: 'M\u00adIT' }, '/license', 'U+00AD'],
    [
      'a host (byte order mark)',
      {
        permissions: {
          'net.http': { rules: [{ host: '\ufeffapi.example.com', methods: ['GET'] }] },
        },
      },
      '/permissions/net.http/rules/0/host',
      'U+FEFF',
    ],
    [
      'a path (tag character)',
      { permissions: { 'fs.read': { paths: ['/data/\u{e0067}x'] } } },
      '/permissions/fs.read/paths/0',
      'U+E0067 at 6',
    ],
    [
      'a signer id (word joiner)',
      { signing: { ...manifest.signing, signer_id: 'acme\u2060', signature: 'c2ln' } },
      '/signing/signer_id',
      'U+2060',
    ],
  ])('refuses an invisible format character in %s', (_what, fields, path, char) => {
    const refused = refusalOf(fields);
    expect(refused?.code).toBe('validation_failed');
    expect(refused?.details).toEqual([
      {
        code: 'invalid_characters',
        path,
        message: expect.stringContaining(`invisible format character ${char}`),
      },
    ]);
  });

  it('takes format characters (emoji with joiners) in descriptions and reasons', () => {
    const value = {
      ...manifest,
      capabilities: {
        tools: [{ ...manifest.capabilities.tools[0], description: 'for \u{1f469}\u200d\u{1f4bb}' }],
      },
      permission_reasons: { 'net.http': 'to fetch\u00ad the greeting' },
    };
    expect(validateManifest(value)).toEqual(value);
  });

  it('takes tab and newline in descriptions and reasons, and anything in an input schema', () => {
    const value = {
      ...manifest,
      capabilities: {
        tools: [
          {
            ...manifest.capabilities.tools[0],
            description: 'says hello\n\tto anyone',
            input_schema: { type: 'string', const: '\u001b\r\n' },
          },
        ],
      },
      permission_reasons: { 'net.http': 'to fetch\nthe greeting' },
    };
    expect(validateManifest(value)).toEqual(value);
  });

  it('reports NUL once, as a character no service can store', () => {
    expect(problems(() => validateManifest({ ...manifest, name: 'a\u0000\u001b' }))).toEqual([
      'invalid_characters /name',
    ]);
  });
});

describe('envelope validation', () => {
  it('accepts a valid event and returns it typed', () => {
    const e = envelope(EventSubjects.PluginRevoked, {
      plugin_id: 'a.b',
      version: '1.0.0',
      revoked_by: 'k1',
    });
    expect(validateEventEnvelope(EventSubjects.PluginRevoked, e).data.revoked_by).toBe('k1');
  });

  it('refuses an event whose type does not match its subject', () => {
    const e = envelope(EventSubjects.PluginRevoked, {
      plugin_id: 'a.b',
      version: '1.0.0',
      revoked_by: 'k1',
    });
    expect(problems(() => validateEventEnvelope(EventSubjects.PluginLoaded, e))).toContain(
      'schema.const /type',
    );
  });

  it('refuses a payload with a missing field and an extra one', () => {
    const e = envelope(EventSubjects.PermissionDenied, {
      plugin_id: 'a.b',
      version: '1',
      capability: 'fs.read',
      sneaky: 1,
    });
    expect(problems(() => validateEventEnvelope(EventSubjects.PermissionDenied, e))).toEqual(
      expect.arrayContaining([
        'schema.required /data/target',
        'schema.additionalProperties /data/sneaky',
      ]),
    );
  });

  const crash = (reason: string) =>
    envelope(EventSubjects.PluginCrashed, {
      plugin_id: 'a.b',
      version: '1.0.0',
      function: 'run',
      reason,
      message: 'stopped',
      resources: { wall_ms: 1 },
    });

  it.each(CRASH_REASONS)('accepts a plugin.crashed whose reason is %s', (reason) => {
    expect(validateEventEnvelope(EventSubjects.PluginCrashed, crash(reason)).data.reason).toBe(
      reason,
    );
  });

  it('refuses a plugin.crashed whose reason is not one of the crash reasons', () => {
    expect(
      problems(() =>
        validateEventEnvelope(EventSubjects.PluginCrashed, crash('artifact_not_found')),
      ),
    ).toContain('schema.enum /data/reason');
  });

  it('answers audit queries with plugin.crashed rows recorded before the reasons were closed', () => {
    const row = {
      seq: 1,
      event_id: randomUUID(),
      type: EventSubjects.PluginCrashed,
      source: 'executor',
      plugin_id: 'a.b',
      version: '1.0.0',
      correlation_id: 'c1',
      occurred_at: new Date().toISOString(),
      recorded_at: new Date().toISOString(),
      data: crash('artifact_not_found').data,
    };
    const reply = { events: [row], next_after_seq: null, next_cursor: null };
    expect(validateReplyData(RequestSubjects.AuditQuery, reply)).toEqual(reply);
  });

  it('refuses a request with a bad id', () => {
    const e = { ...envelope(RequestSubjects.RegistryGetPlugin, { plugin_id: 'a.b' }), id: 'nope' };
    expect(problems(() => validateRequestEnvelope(RequestSubjects.RegistryGetPlugin, e))).toContain(
      'schema.format /id',
    );
  });
});

describe('enum errors', () => {
  const check = (schema: TSchema) => compileChecker(schema, 'thing');
  const detailsOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      if (e instanceof DomainError) return e.details;
      throw e;
    }
    throw new Error('expected a validation error');
  };

  it('lists the literals of a union once, instead of one line per literal', () => {
    const roles = Type.Object({
      roles: Type.Array(Type.Union(['admin', 'auditor'].map((r) => Type.Literal(r)))),
    });
    expect(detailsOf(() => check(roles)({ roles: ['root', 7] }))).toEqual([
      { code: 'schema.enum', message: 'must be one of "admin", "auditor"', path: '/roles/0' },
      { code: 'schema.enum', message: 'must be one of "admin", "auditor"', path: '/roles/1' },
    ]);
  });

  it('lists the values of an enum keyword', () => {
    const level = Type.Unsafe<string>({ enum: ['low', 'high'] });
    expect(detailsOf(() => check(Type.Object({ level }))({ level: 'mid' }))).toEqual([
      { code: 'schema.enum', message: 'must be one of "low", "high"', path: '/level' },
    ]);
  });

  it('keeps every problem of a union that is not only literals', () => {
    const either = Type.Object({ v: Type.Union([Type.Literal('a'), Type.Integer()]) });
    expect(detailsOf(() => check(either)({ v: 'b' })).map((d) => d.code)).toEqual([
      'schema.const',
      'schema.type',
      'schema.anyOf',
    ]);
  });

  it("reports a nullable value's schema only, not null's", () => {
    const body = Type.Object({
      signer_id: Type.Union([Type.String({ pattern: '^[a-z]+$' }), Type.Null()]),
    });
    expect(detailsOf(() => check(body)({ signer_id: 'BAD!' }))).toEqual([
      { code: 'schema.pattern', message: 'must match pattern "^[a-z]+$"', path: '/signer_id' },
    ]);
    expect(detailsOf(() => check(body)({ signer_id: 7 })).map((d) => d.code)).toEqual([
      'schema.type',
    ]);
    expect(check(body)({ signer_id: null })).toEqual({ signer_id: null });
  });

  it('says what a pattern of the platform takes in words, whichever schema holds it', () => {
    const query = Type.Object({
      plugin_id: PluginIdSchema,
      function: ToolSchema.properties.function,
      hash: Type.String({ pattern: '^x$', description: 'a hash' }),
    });
    expect(detailsOf(() => check(query)({ plugin_id: 'BAD!', function: '1', hash: 'y' }))).toEqual([
      {
        code: 'schema.pattern',
        message: `must be ${PluginIdSchema.description}`,
        path: '/plugin_id',
      },
      {
        code: 'schema.pattern',
        message:
          'must be a letter or underscore, then letters, digits and underscores, at most 64 characters',
        path: '/function',
      },
      { code: 'schema.pattern', message: 'must match pattern "^x$"', path: '/hash' },
    ]);
  });

  it('names the properties an object takes when it refuses another', () => {
    const filters = Type.Object(
      { plugin_id: Type.Optional(Type.String()), limit: Type.Optional(Type.Integer()) },
      { additionalProperties: false },
    );
    expect(detailsOf(() => check(filters)({ owner: 'x' }))).toEqual([
      {
        code: 'schema.additionalProperties',
        message: 'is not allowed: the known names are plugin_id, limit',
        path: '/owner',
      },
    ]);
    const none = Type.Object({}, { additionalProperties: false });
    expect(detailsOf(() => check(none)({ revoked: 'true' }))[0].message).toBe(
      'is not allowed: this object takes no properties',
    );
  });

  it('lists the event types an audit query may filter on', () => {
    const e = envelope(RequestSubjects.AuditQuery, { type: 'plugin.aproved', limit: 10 });
    const [detail] = detailsOf(() => validateRequestEnvelope(RequestSubjects.AuditQuery, e));
    expect(detail).toMatchObject({ code: 'schema.enum', path: '/data/type' });
    expect(detail.message).toContain('"plugin.approved"');
    expect(detail.message).toContain('"permission.denied"');
  });

  it('names the allowed trust levels in a request', () => {
    const e = envelope(RequestSubjects.ApprovalDecide, {
      plugin_id: 'a.b',
      version: '1.0.0',
      decision: 'maybe',
      decided_by: 'k',
    });
    expect(detailsOf(() => validateRequestEnvelope(RequestSubjects.ApprovalDecide, e))).toEqual([
      {
        code: 'schema.enum',
        message: 'must be one of "approve", "reject"',
        path: '/data/decision',
      },
    ]);
  });
});
