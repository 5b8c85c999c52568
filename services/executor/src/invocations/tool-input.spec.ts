import { aManifest } from '@convergio/testing';
import { DomainError, type Manifest } from '@convergio/contracts';
import { declaredFunction, toolInputSchemas } from './tool-input.js';

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

describe('declaredFunction', () => {
  it.each(['say_hello', 'greet'])(
    'finds a tool by its name or its function (%s), with its input schema',
    (name) => {
      expect(declaredFunction(manifest, name)).toEqual({
        name: 'say_hello',
        function: 'greet',
        inputSchema: 'say_hello',
      });
      expect(toolInputSchemas(manifest)).toEqual({ say_hello: nameSchema });
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

  it("reaches an agent by its name when a tool's export has that name", () => {
    const shadowing = aManifest({
      capabilities: {
        tools: [{ name: 'say_hello', function: 'concierge', description: 'd', input_schema: {} }],
        agents: [{ name: 'concierge', function: 'run_concierge', description: 'answers' }],
      },
    });
    expect(declaredFunction(shadowing, 'concierge')).toEqual({
      name: 'concierge',
      function: 'run_concierge',
    });
  });

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

describe('two tools behind one export', () => {
  it('has each tool checked against its own schema', () => {
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
    expect([declaredFunction(m, 'strict'), declaredFunction(m, 'loose')]).toEqual([
      { name: 'strict', function: 'run', inputSchema: 'strict' },
      { name: 'loose', function: 'run', inputSchema: 'loose' },
    ]);
    expect(toolInputSchemas(m)).toEqual({
      strict: { type: 'object', required: ['x'] },
      loose: { type: 'object' },
    });
  });
});

describe('toolInputSchemas', () => {
  const tool = (name: string, input_schema: Record<string, unknown>) => ({
    name,
    function: 'run',
    description: name,
    input_schema,
  });

  it('keeps the first tool of a name, the one a call by that name runs', () => {
    const m = {
      ...manifest,
      capabilities: { tools: [tool('twin', { type: 'string' }), tool('twin', { type: 'number' })] },
    } as Manifest;
    expect(toolInputSchemas(m)).toEqual({ twin: { type: 'string' } });
    expect(declaredFunction(m, 'twin').inputSchema).toBe('twin');
  });

  it('keeps a tool named __proto__ as a schema of its own, not as a prototype', () => {
    const m = {
      ...manifest,
      capabilities: { tools: [tool('__proto__', { type: 'string' })] },
    } as Manifest;
    const schemas = toolInputSchemas(m);
    expect(Object.hasOwn(schemas, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(schemas)).toBe(Object.prototype);
  });
});
