// Prepares a module (prepareModule, as a sandbox process does at load) in a child process started
// with a sandbox process's heap flags: reads the module's bytes in base64 on stdin, prints one
// JSON line (`{ok: true}` or the refusal's code and message) and exits 0.
import { prepareModule } from '../prepare-module.js';
import { SandboxError } from '../sandbox-error.js';

async function main(): Promise<void> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  const bytes = new Uint8Array(Buffer.from(text, 'base64'));
  let report: object;
  try {
    await prepareModule(bytes, 16, []);
    report = { ok: true };
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    report = { ok: false, code: error.code, message: error.message };
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(2);
});
