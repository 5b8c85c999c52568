import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConfigError } from '@convergio/config';

const KEY_PATTERN = /^[A-Za-z0-9+/]{43}=$/;

/** Where standalone keeps the embedded secret store's key: SECRET_STORE_KEY_FILE, else DATA_DIR/secret-store-key. */
export function secretStoreKeyFile(env: {
  DATA_DIR: string;
  SECRET_STORE_KEY_FILE?: string;
}): string {
  return env.SECRET_STORE_KEY_FILE ?? join(env.DATA_DIR, 'secret-store-key');
}

/**
 * The embedded secret store's key in standalone mode: the one in `file`, or a new random
 * 32-byte key written there (mode 0600, never overwriting a file a concurrent start wrote).
 * Throws ConfigError when the file holds something else.
 */
export async function standaloneSecretStoreKey(file: string): Promise<string> {
  const existing = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing === undefined) {
    const key = randomBytes(32).toString('base64');
    await mkdir(dirname(file), { recursive: true });
    try {
      await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
      return key;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return standaloneSecretStoreKey(file);
    }
  }
  const key = existing.trim();
  if (!KEY_PATTERN.test(key))
    throw new ConfigError([
      {
        variable: 'SECRET_STORE_KEY_FILE',
        expected: 'a file holding 32 bytes in base64',
        received: 'another content',
      },
    ]);
  return key;
}
