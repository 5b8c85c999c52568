// Prints plugin.json with signing.sha256 set to the hash of the built module, ready to submit.
//   --version X          print it as version X
//   --allow-http HOST    also ask for net.http GET on HOST, with the reason (a high-risk permission: an admin must approve)
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { version: { type: 'string' }, 'allow-http': { type: 'string' } },
});
const root = new URL('../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('plugin.json', root), 'utf8'));
const module = new URL(`build/${manifest.entrypoint}`, root);
if (!existsSync(module)) {
  console.error(
    `build/${manifest.entrypoint} is missing: run npm run build --workspace examples/greet-plugin`,
  );
  process.exit(1);
}
manifest.signing.sha256 = createHash('sha256').update(readFileSync(module)).digest('hex');
if (values.version) manifest.version = values.version;
if (values['allow-http']) {
  manifest.permissions['net.http'] = { rules: [{ host: values['allow-http'], methods: ['GET'] }] };
  manifest.permission_reasons = { 'net.http': `reads greetings from ${values['allow-http']}` };
}
console.log(JSON.stringify(manifest, null, 2));
