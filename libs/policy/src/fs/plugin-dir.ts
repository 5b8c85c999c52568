/** The token a manifest or host call writes for the plugin's own directory. */
export const PLUGIN_DIR_TOKEN = '$PLUGIN_DIR';

/**
 * Replaces a leading `$PLUGIN_DIR` (the whole path, or followed by `/`) with `pluginDir`
 * (an absolute path). Any other use (`/x/$PLUGIN_DIR`, `$PLUGIN_DIRX`) is left as written
 * and then fails parsePluginPath as a relative path, or names a literal directory. Only
 * the token is replaced: `$PLUGIN_DIR/../other` keeps its `..`, which parsePluginPath
 * refuses. Never throws.
 */
export function expandPluginDir(path: string, pluginDir: string): string {
  if (path === PLUGIN_DIR_TOKEN) return pluginDir;
  if (!path.startsWith(`${PLUGIN_DIR_TOKEN}/`)) return path;
  const base = pluginDir.endsWith('/') ? pluginDir.slice(0, -1) : pluginDir;
  return base + path.slice(PLUGIN_DIR_TOKEN.length);
}
