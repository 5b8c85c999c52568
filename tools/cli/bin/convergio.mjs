#!/usr/bin/env node
// The "convergio" bin. npm links a workspace's bins at `npm ci`, before anything is built, and
// skips a bin whose file is missing then: so the bin is this committed file, and the program is
// dist/main.js, which `npm run build` writes.
try {
  await import('../dist/main.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/main.js'))
    throw error;
  process.stderr.write(
    'convergio: not_built: the CLI is not built yet\nhint: run `npm run build` at the repository root\n',
  );
  process.exitCode = 70;
}
