import { canonicalUuid } from './uuid.js';

describe('canonicalUuid', () => {
  const id = '0f8b5c2e-4d1a-4b7e-9c3f-5a6b7c8d9e0f';

  it('writes every spelling the uuid format admits as PostgreSQL does: lower case, no URN prefix', () => {
    for (const spelling of [id, id.toUpperCase(), `urn:uuid:${id}`, `URN:UUID:${id.toUpperCase()}`])
      expect(canonicalUuid(spelling)).toBe(id);
  });

  it('reads nothing else as a UUID', () => {
    for (const text of [
      '',
      'gateway',
      `urn:uuid:`,
      `${id}x`,
      ` ${id}`,
      `${id}\n`,
      id.replaceAll('-', ''),
      `{${id}}`,
      `urn:${id}`,
    ])
      expect(canonicalUuid(text)).toBeUndefined();
  });
});
