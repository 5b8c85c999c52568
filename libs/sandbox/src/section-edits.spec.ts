import { appendEntries } from './section-edits.js';
import type { WasmSection } from './wasm-sections.js';

const section = (id: number, ...payload: number[]): WasmSection => ({
  id,
  payload: Uint8Array.from(payload),
});
const ids = (sections: WasmSection[]) => sections.map((s) => s.id);
const entry = Uint8Array.of(0xaa, 0xbb);

describe('appendEntries', () => {
  it('appends to the vector of an existing section, counting the new entries', () => {
    const sections = [section(1, 0), section(6, 1, 0x7f, 0x00, 0x41, 0x00, 0x0b), section(10, 0)];
    const appended = appendEntries(sections, 6, [entry, entry]);
    expect(ids(appended)).toEqual([1, 6, 10]);
    expect([...appended[1].payload]).toEqual([
      3, 0x7f, 0x00, 0x41, 0x00, 0x0b, 0xaa, 0xbb, 0xaa, 0xbb,
    ]);
    expect(sections[1].payload[0]).toBe(1);
  });

  it.each([
    [
      'after the tag section, which precedes globals',
      6,
      [1, 0, 5, 13, 0, 7, 10],
      [1, 0, 5, 13, 6, 0, 7, 10],
    ],
    [
      'before start, element, data count and code',
      7,
      [1, 6, 8, 9, 12, 10, 11],
      [1, 6, 7, 8, 9, 12, 10, 11],
    ],
    ['first when no section must precede it', 7, [0, 10, 0], [7, 0, 10, 0]],
    ['in an empty module', 6, [], [6]],
  ])('creates a missing section %s', (_case, id, before, after) => {
    const created = appendEntries(
      before.map((s) => section(s, 0)),
      id,
      [entry],
    );
    expect(ids(created)).toEqual(after);
    expect([...created[after.indexOf(id)].payload]).toEqual([1, 0xaa, 0xbb]);
  });
});
