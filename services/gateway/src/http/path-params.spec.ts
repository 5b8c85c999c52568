import { ApiKeyIdParam } from './path-params.js';

const ID = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11';

describe('ApiKeyIdParam', () => {
  // Before: an upper-case id was compared as typed (the key stayed cached after its revocation),
  // and a URN reached PostgreSQL, which refused it with a 500 (found by reviews).
  it.each([ID, ID.toUpperCase(), `urn:uuid:${ID}`, `URN:UUID:${ID.toUpperCase()}`])(
    'reads %s as the one spelling of the id',
    (spelled) => expect(ApiKeyIdParam.transform(spelled)).toBe(ID),
  );

  it.each(['not-a-uuid', `urn:uuid:${ID}x`, `${ID} `])('refuses %s, naming the field', (bad) =>
    expect(() => ApiKeyIdParam.transform(bad)).toThrow(
      expect.objectContaining({
        code: 'validation_failed',
        message: expect.stringContaining('invalid API key id'),
      }),
    ),
  );
});
