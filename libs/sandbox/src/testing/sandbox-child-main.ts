// The child side of runInChild: reads a request on stdin, prints one JSON report line, exits 0.
import { loadAndCall, testRuntime } from './test-runtime.js';

interface Request {
  wasm: string;
  limits: Record<string, number>;
  calls: string[];
}

async function main(): Promise<void> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  const request = JSON.parse(text) as Request;
  const bytes = new Uint8Array(Buffer.from(request.wasm, 'base64'));
  const report = await loadAndCall(testRuntime(), bytes, request.limits, request.calls);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(2);
});
