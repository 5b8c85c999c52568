import {
  parsePluginVersionKey,
  pluginVersionKey,
  type PluginVersionKey,
} from './plugin-version-key.js';

describe('pluginVersionKey', () => {
  it('spells a version as <plugin id>@<version>', () => {
    expect(pluginVersionKey('acme.greet', '1.2.0')).toBe('acme.greet@1.2.0');
  });

  it('is one key per version: equal for the same version, different for any other', () => {
    const keys = new Set([
      pluginVersionKey('acme.greet', '1.2.0'),
      pluginVersionKey('acme.greet', '1.2.0'),
      pluginVersionKey('acme.greet', '1.2.1'),
      pluginVersionKey('acme.greeter', '1.2.0'),
    ]);
    expect(keys.size).toBe(3);
  });

  it.each([
    ['acme.greet', '1.2.0'],
    ['a', '0.0.1'],
    ['acme.greet', '2.0.0-beta.1+build.7'],
    ['acme.greet', '1.0.0-x-y.z'],
  ])('gives %s and %s back when parsed', (pluginId, version) => {
    expect(parsePluginVersionKey(pluginVersionKey(pluginId, version))).toEqual([pluginId, version]);
  });

  it('does not accept a plain string where a key is expected', () => {
    // @ts-expect-error a key is made by pluginVersionKey, not spelled by hand
    const key: PluginVersionKey = 'acme.greet@1.2.0';
    expect(parsePluginVersionKey(key)).toEqual(['acme.greet', '1.2.0']);
  });
});
