import { BusLimits } from '@convergio/messaging';
import { aManifest } from '@convergio/testing';
import type { PolicyGate } from '../versions/policy-gate.js';
import type { RunnableVersions } from '../versions/runnable-versions.js';
import type { RunnableRecord } from '../versions/version-record.js';
import { encodeToolsCursor } from './tools-cursor.js';
import { ToolsService } from './tools.service.js';

/** An approved version whose tools each carry an input schema of about `schemaBytes`. */
const approved = (id: string, names: string[], schemaBytes: number) =>
  ({
    pluginId: id,
    version: '1.0.0',
    status: 'approved',
    manifest: aManifest({
      id,
      capabilities: {
        tools: names.map((name) => ({
          name,
          function: 'greet',
          description: 'big',
          input_schema: { type: 'object', description: 'x'.repeat(schemaBytes) },
        })),
      },
    }),
  }) as unknown as RunnableRecord;

const service = (records: RunnableRecord[], maxPayload = 200_000) =>
  new ToolsService(
    { approved: () => records } as unknown as RunnableVersions,
    { violations: () => [] } as unknown as PolicyGate,
    new BusLimits(maxPayload, true),
  );

/** Every page from the first, as a client pages on. */
function allPages(tools: ToolsService) {
  const pages: ReturnType<ToolsService['list']>[] = [];
  let cursor: string | undefined;
  do {
    const page = tools.list(cursor);
    pages.push(page);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return pages;
}

describe('tool pages', () => {
  it('holds as many tools as fit the reply budget, by plugin id then name, each once', () => {
    const limits = new BusLimits(200_000, true);
    // Given out of order: the pages are ordered all the same.
    const tools = service([
      approved('p.two', ['b', 'a'], 30_000),
      approved('p.one', ['z', 'c', 'm'], 30_000),
      approved('p.three', ['t'], 30_000),
    ]);
    const pages = allPages(tools);
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages)
      expect(Buffer.byteLength(JSON.stringify(page.tools))).toBeLessThanOrEqual(
        limits.replyBudget + 1,
      );
    expect(pages.flatMap((p) => p.tools.map((t) => `${t.plugin_id}/${t.name}`))).toEqual([
      'p.one/c',
      'p.one/m',
      'p.one/z',
      'p.three/t',
      'p.two/a',
      'p.two/b',
    ]);
    expect(pages[pages.length - 1].next_cursor).toBeNull();
  });

  it('is one page, with no cursor, when everything fits', () => {
    const page = service([approved('p.small', ['a', 'b'], 10)]).list();
    expect(page.tools).toHaveLength(2);
    expect(page.next_cursor).toBeNull();
  });

  it('gives a lone tool over the budget a page of its own (the bus server refuses it if it cannot travel)', () => {
    const pages = allPages(service([approved('p.huge', ['a', 'b'], 150_000)]));
    expect(pages.map((p) => p.tools.map((t) => t.name))).toEqual([['a'], ['b']]);
  });

  it('continues after a tool that has gone since the cursor was handed out', () => {
    const tools = service([approved('p.one', ['a', 'c'], 10)]);
    const after = tools.list(encodeToolsCursor({ pluginId: 'p.one', name: 'b' }));
    expect(after.tools.map((t) => t.name)).toEqual(['c']);
  });

  it('lists a name a manifest repeats once, with the schema a call of it is checked against', () => {
    // Stored before repeated names were refused: a call of `b` reaches the first `b`.
    const record = approved('p.old', ['a', 'b', 'b', 'c'], 10);
    const tools = record.manifest.capabilities.tools ?? [];
    tools[2] = { ...tools[2], input_schema: { type: 'string' } };
    for (const budget of [200_000, 1_200]) {
      const listed = allPages(service([record], budget)).flatMap((p) => p.tools);
      expect(listed.map((t) => t.name)).toEqual(['a', 'b', 'c']);
      expect(listed[1].input_schema).toEqual(tools[1].input_schema);
    }
  });

  it.each([
    ['not base64url of a position', 'bm90LWEtY3Vyc29y'],
    ['a position with a bad tool name', Buffer.from('t1.p.one 9bad').toString('base64url')],
    ['a position padded differently', `${encodeToolsCursor({ pluginId: 'p.one', name: 'a' })}A`],
  ])('refuses %s with a coded error naming /cursor', (_what, cursor) => {
    expect(() => service([]).list(cursor)).toThrow(
      expect.objectContaining({
        code: 'validation_failed',
        details: [expect.objectContaining({ code: 'invalid_cursor', path: '/cursor' })],
      }),
    );
  });
});
