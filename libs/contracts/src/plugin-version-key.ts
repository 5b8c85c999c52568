declare const brand: unique symbol;

/**
 * One plugin version as a single value, `<plugin id>@<version>`: the key of maps, sets and
 * circuit breakers that hold something per version, and how messages name a version. Made only
 * by {@link pluginVersionKey}, so a bare plugin id or a differently spelled key does not
 * type-check where one is expected.
 */
export type PluginVersionKey = string & { readonly [brand]: 'PluginVersionKey' };

/** The key of `version` of `pluginId`, e.g. `acme.greet@1.2.0`. */
export function pluginVersionKey(pluginId: string, version: string): PluginVersionKey {
  return `${pluginId}@${version}` as PluginVersionKey;
}

/**
 * The plugin id and version of a key. A version never holds `@` (it is semver), so the last
 * `@` separates them.
 */
export function parsePluginVersionKey(key: PluginVersionKey): [pluginId: string, version: string] {
  const at = key.lastIndexOf('@');
  return [key.slice(0, at), key.slice(at + 1)];
}
