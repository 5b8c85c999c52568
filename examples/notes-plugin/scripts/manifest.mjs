// Prints plugin.json with signing.sha256 set to the hash of the built module, ready to submit.
//   --version X          print it as version X
//   --read-only          without fs.write: `save` is then refused by the host (permission_denied)
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { version: { type: 'string' }, 'read-only': { type: 'boolean' } },
});
const root = new URL('../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('plugin.json', root), 'utf8'));
const module = new URL(`build/${manifest.entrypoint}`, root);
if (!existsSync(module)) {
  console.error(
    `build/${manifest.entrypoint} is missing: run npm run build --workspace examples/notes-plugin`,
  );
  process.exit(1);
}
manifest.signing.sha256 = createHash('sha256').update(readFileSync(module)).digest('hex');
if (values.version) manifest.version = values.version;
if (values['read-only']) delete manifest.permissions['fs.write'];
console.log(JSON.stringify(manifest, null, 2));
