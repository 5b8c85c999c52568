import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { isDirectory, readPackageDir } from '../package/package-sources.js';
import { writePackageTarball } from '../package/package-tarball.js';
import { MANIFEST_FILE, SBOM_FILE, type PluginPackage } from '../package/plugin-package.js';
import { inputError } from '../exit-codes.js';
import { readLocalFile } from '../local-files.js';
import { note, printResult } from '../output.js';
import { formatBytes } from '../gateway/upload-progress.js';

interface PackOptions {
  out?: string;
  json?: boolean;
}

export function registerPack(program: Command): void {
  program
    .command('pack')
    .summary('check a package directory and write it as a .tgz')
    .description(
      `A package is a directory holding ${MANIFEST_FILE}, the module its "entrypoint" names and, ` +
        `optionally, ${SBOM_FILE} (CycloneDX JSON). pack checks that it is complete, that ` +
        `${MANIFEST_FILE} parses as the platform reads it and that signing.sha256 is the module's ` +
        'hash, then writes those files (nothing else) to a gzipped tarball without owners or ' +
        'times, so the same files give the same SHA-256, which it prints.',
    )
    .argument('<dir>', 'the package directory')
    .option('--out <file>', 'the tarball to write (default: <id>-<version>.tgz here)')
    .option('--json', 'print {"file", "sha256", "size", "plugin_id", "version", "files"}')
    .addHelpText(
      'after',
      `
Examples:
  convergio pack ./my-plugin
  convergio pack ./my-plugin --out dist/my-plugin.tgz && convergio submit dist/my-plugin.tgz`,
    )
    .action(async (dir: string, options: PackOptions) => {
      if (!(await isDirectory(dir)))
        throw inputError(
          'package_not_directory',
          `${dir} is not a directory`,
          'name the package directory',
        );
      const pkg = await readPackageDir(dir);
      const files = [MANIFEST_FILE, pkg.moduleName, ...(pkg.sbom ? [SBOM_FILE] : [])];
      const out = options.out ?? defaultTarball(pkg);
      await writePackageTarball(dir, files, out);
      const tarball = await readLocalFile(out, 'the tarball');
      const result = {
        file: out,
        sha256: createHash('sha256').update(tarball).digest('hex'),
        size: tarball.length,
        plugin_id: pkg.manifest.id,
        version: pkg.manifest.version,
        files,
      };
      printResult(options.json ?? false, result, () => `${result.sha256}  ${out}`);
      if (!options.json)
        note(`packed ${files.join(', ')} into ${out} (${formatBytes(tarball.length)})`);
    });
}

/** `<id>-<version>.tgz` when both are plain names, `plugin.tgz` otherwise. */
function defaultTarball({ manifest }: PluginPackage): string {
  const safe = (value: unknown) =>
    typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9.+_-]*$/.test(value) ? value : undefined;
  const id = safe(manifest.id);
  const version = safe(manifest.version);
  return id && version ? `${id}-${version}.tgz` : 'plugin.tgz';
}
