import { join } from 'node:path';

/** Where standalone writes a generated admin key: ADMIN_KEY_FILE, else DATA_DIR/admin-key. */
export function adminKeyFile(env: { DATA_DIR: string; ADMIN_KEY_FILE?: string }): string {
  return env.ADMIN_KEY_FILE ?? join(env.DATA_DIR, 'admin-key');
}
