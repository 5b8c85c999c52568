// Module hooks that let a worker thread import this repository's TypeScript sources (tests only;
// the compiled libraries never use them). Mirrors jest.preset.mjs: `.js` specifiers resolve to
// `.ts` files, `@convergio/<lib>` resolves to libs/<lib>/src/index.ts, SWC strips the types.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../../../../', import.meta.url);
let swc;

export async function resolve(specifier, context, next) {
  const lib = /^@convergio\/([a-z-]+)$/.exec(specifier);
  if (lib) {
    const source = new URL(`libs/${lib[1]}/src/index.ts`, root);
    if (existsSync(source)) return { url: source.href, shortCircuit: true };
  }
  if (specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (candidate.protocol === 'file:' && existsSync(candidate))
      return { url: candidate.href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  swc ??= (await import('@swc/core')).default;
  const filename = fileURLToPath(url);
  const { code } = swc.transformSync(readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      target: 'es2022',
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
    module: { type: 'es6' },
  });
  return { format: 'module', source: code, shortCircuit: true };
}
