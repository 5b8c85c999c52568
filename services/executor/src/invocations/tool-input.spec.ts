import { aManifest } from '@convergio/testing';
import { DomainError, type Manifest } from '@convergio/contracts';
import { checkToolInput, declaredFunction } from './tool-input.js';

const nameSchema = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1 } },
  additionalProperties: false,
};

const manifest = aManifest({
  version: '1.2.0',
  capabilities: {
    tools: [
      { name: 'say_hello', function: 'greet', description: 'says hello', input_schema: nameSchema },
    ],
    agents: [{ name: 'concierge', function: 'run_concierge', description: 'answers visitors' }],
  },
});

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

let key = 0;
/** A cache key no other test uses, so compilations do not leak between tests. */
const freshKey = () => `example.greet@1.2.0#t${++key}`;

describe('declaredFunction', () => {
  it.each(['say_hello', 'greet'])(
    'finds a tool by its name or its function (%s), with its input schema',
    (name) => {
      expect(declaredFunction(manifest, name)).toEqual({
        name: 'say_hello',
        function: 'greet',
        inputSchema: nameSchema,
      });
    },
  );

  it.each(['concierge', 'run_concierge'])(
    'finds an agent by its name or its function (%s), without a schema',
    (name) => {
      expect(declaredFunction(manifest, name)).toEqual({
        name: 'concierge',
        function: 'run_concierge',
      });
    },
  );

  it.each(['_start', 'alloc', 'say_goodbye'])(
    'refuses the undeclared function %s with not_found, even if the module exports it',
    (name) => {
      const error = refusal(() => declaredFunction(manifest, name));
      expect(error.code).toBe('not_found');
      expect(error.message).toContain('example.greet@1.2.0');
    },
  );

  it('refuses everything for a plugin that declares no capabilities', () => {
    expect(refusal(() => declaredFunction({ ...manifest, capabilities: {} }, 'greet')).code).toBe(
      'not_found',
    );
  });
});

describe('checkToolInput', () => {
  it('lets input that matches the schema through', () => {
    expect(() => checkToolInput(freshKey(), nameSchema, { name: 'Ada' })).not.toThrow();
  });

  it('lets anything through when the function has no schema (agents)', () => {
    expect(() => checkToolInput(freshKey(), undefined, 'anything')).not.toThrow();
  });

  it('refuses bad input with validation_failed and lists every problem with its path', () => {
    const error = refusal(() => checkToolInput(freshKey(), nameSchema, { name: '', extra: true }));
    expect(error.code).toBe('validation_failed');
    expect(error.details.map((d) => `${d.code} ${d.path}`)).toEqual(
      expect.arrayContaining(['schema.minLength /name', 'schema.additionalProperties /extra']),
    );
  });

  it('refuses a missing required field, naming it', () => {
    const error = refusal(() => checkToolInput(freshKey(), nameSchema, {}));
    expect(error.details).toEqual([
      expect.objectContaining({ code: 'schema.required', path: '/name' }),
    ]);
  });

  it('compiles a schema once per key: later calls under the same key reuse the first compilation', () => {
    const k = freshKey();
    checkToolInput(k, nameSchema, { name: 'Ada' });
    // A different schema under the same key is not looked at: the cached one still decides.
    expect(() => checkToolInput(k, { type: 'string' }, { name: 'Ada' })).not.toThrow();
    expect(refusal(() => checkToolInput(k, { type: 'string' }, 'Ada')).code).toBe(
      'validation_failed',
    );
  });

  it.each([
    ['an unknown type', { type: 'nope' }],
    ['a reference to nothing', { $ref: '#/definitions/missing' }],
  ])('blames the plugin with plugin_failed when its input_schema has %s', (_what, schema) => {
    const error = refusal(() => checkToolInput(freshKey(), schema, {}));
    expect(error.code).toBe('plugin_failed');
    expect(error.message).toMatch(/input_schema does not compile/);
  });

  it('keeps refusing a broken schema instead of caching a failure as a pass', () => {
    const k = freshKey();
    expect(refusal(() => checkToolInput(k, { type: 'nope' }, {})).code).toBe('plugin_failed');
    expect(refusal(() => checkToolInput(k, { type: 'nope' }, {})).code).toBe('plugin_failed');
  });

  it('keeps one plugin from breaking or borrowing another plugin schema through $id', () => {
    const schema = { $id: 'https://example.com/input', type: 'object', required: ['a'] };
    expect(() => checkToolInput(freshKey(), schema, { a: 1 })).not.toThrow();
    expect(() =>
      checkToolInput(freshKey(), { ...schema, required: ['b'] }, { b: 1 }),
    ).not.toThrow();
    expect(
      refusal(() => checkToolInput(freshKey(), { $ref: 'https://example.com/input' }, {})).code,
    ).toBe('plugin_failed');
  });
});

describe('two tools behind one export', () => {
  it('checks each tool against its own schema', () => {
    const m = {
      ...manifest,
      capabilities: {
        tools: [
          {
            name: 'strict',
            function: 'run',
            description: 's',
            input_schema: { type: 'object', required: ['x'] },
          },
          { name: 'loose', function: 'run', description: 'l', input_schema: { type: 'object' } },
        ],
      },
    } as Manifest;
    const loose = declaredFunction(m, 'loose');
    const strict = declaredFunction(m, 'strict');
    expect(() => checkToolInput(`p@1#${loose.name}`, loose.inputSchema, {})).not.toThrow();
    expect(refusal(() => checkToolInput(`p@1#${strict.name}`, strict.inputSchema, {})).code).toBe(
      'validation_failed',
    );
  });
});

describe('checkToolInput against schemas written to stall the executor', () => {
  // A backtracking engine takes over a minute on this input (^(a|a)*$ doubles its work per `a`);
  // Jest's timeout below is the failure mode, nothing here measures time.
  const catastrophic = { type: 'string', pattern: '^(a|a)*$' };
  const attack = `${'a'.repeat(31)}!`;

  it('refuses ^(a|a)*$ against 31 a and ! at once, with validation_failed naming the pattern', () => {
    const error = refusal(() => checkToolInput(freshKey(), catastrophic, attack));
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual([expect.objectContaining({ code: 'schema.pattern', path: '/' })]);
  }, 5_000);

  it('still answers a bystander correctly after a pathological check', () => {
    refusal(() => checkToolInput(freshKey(), catastrophic, attack));
    expect(() => checkToolInput(freshKey(), catastrophic, 'a'.repeat(31))).not.toThrow();
    expect(() => checkToolInput(freshKey(), nameSchema, { name: 'Ada' })).not.toThrow();
  }, 5_000);

  it('runs patternProperties without backtracking too', () => {
    const schema = { type: 'object', patternProperties: { '^(a|a)*$': { type: 'number' } } };
    // The attack key does not match (so it is unconstrained); `aaa` matches and must be a number.
    expect(() => checkToolInput(freshKey(), schema, { [attack]: 'x', aaa: 1 })).not.toThrow();
    const error = refusal(() => checkToolInput(freshKey(), schema, { [attack]: 'x', aaa: 'y' }));
    expect(error.details).toEqual([expect.objectContaining({ path: '/aaa' })]);
  }, 5_000);

  it('runs propertyNames patterns without backtracking too', () => {
    const schema = { type: 'object', propertyNames: { pattern: '^(a|a)*$' } };
    expect(refusal(() => checkToolInput(freshKey(), schema, { [attack]: 1 })).code).toBe(
      'validation_failed',
    );
  }, 5_000);

  it('refuses input whose pattern checks would cost more than the budget, with a coded error', () => {
    // 50 bounded repeats compile to about 50,000 RE2 instructions; on 100,000 characters the
    // linear-time engine still scans for tens of seconds. The budget refuses it before it starts.
    const schema = { type: 'string', pattern: '[a-c]{999}'.repeat(50) };
    const error = refusal(() => checkToolInput(freshKey(), schema, 'a'.repeat(100_000)));
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual([expect.objectContaining({ code: 'schema.pattern_budget' })]);
    // A short input is checked as usual (it is too short to match).
    expect(refusal(() => checkToolInput(freshKey(), schema, 'a'.repeat(100))).details).toEqual([
      expect.objectContaining({ code: 'schema.pattern' }),
    ]);
  }, 10_000);

  it.each([
    ['a backreference', '^(a)\\1$'],
    ['a lookahead', '^a(?=b)'],
    ['a lookbehind', '(?<!a)b'],
  ])(
    'refuses a schema with %s (no linear-time engine runs it) with plugin_failed',
    (_w, pattern) => {
      const error = refusal(() => checkToolInput(freshKey(), { type: 'string', pattern }, 'ab'));
      expect(error.code).toBe('plugin_failed');
      expect(error.message).toMatch(/input_schema/);
    },
  );

  it('refuses an $async schema, whose promise would otherwise pass every input', () => {
    const schema = { $async: true, type: 'string' };
    expect(refusal(() => checkToolInput(freshKey(), schema, 42)).code).toBe('plugin_failed');
  });

  it('keeps the pattern semantics of JSON Schema: unanchored, Unicode, \\d and \\u escapes', () => {
    const k = freshKey();
    const schema = { type: 'string', pattern: '\\d{3}-\\u00e9' };
    expect(() => checkToolInput(k, schema, 'ref 123-é!')).not.toThrow();
    expect(refusal(() => checkToolInput(k, schema, '12-é')).code).toBe('validation_failed');
  });
});
