import { stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { usageError } from '../exit-codes.js';
import { fileError, readLocalFile } from '../local-files.js';
import {
  checkPackage,
  MANIFEST_FILE,
  SBOM_FILE,
  type PackageCheckOptions,
  type PluginPackage,
} from './plugin-package.js';
import { readTarballFiles } from './package-tarball.js';

/** A package directory: plugin.json, the module its entrypoint names, optionally sbom.cdx.json. */
export async function readPackageDir(
  dir: string,
  sbomFile?: string,
  options?: PackageCheckOptions,
): Promise<PluginPackage> {
  return checkPackage(
    {
      source: dir,
      manifestText: await readIfPresent(join(dir, MANIFEST_FILE)),
      module: (entrypoint) => readIfPresent(join(dir, entrypoint)),
      sbom: sbomFile
        ? await readLocalFile(sbomFile, 'the SBOM')
        : await readIfPresent(join(dir, SBOM_FILE)),
    },
    options,
  );
}

/**
 * A tarball as `pack` writes it: the package's files at its root, or all under one top
 * directory (as `tar czf pkg.tgz mydir/` makes).
 */
async function readPackageTarball(
  file: string,
  sbomFile?: string,
  options?: PackageCheckOptions,
): Promise<PluginPackage> {
  const files = await readTarballFiles(file);
  const top = [...files.keys()].find((path) => posix.basename(path) === MANIFEST_FILE);
  const prefix =
    files.has(MANIFEST_FILE) || top === undefined || top.split('/').length !== 2
      ? ''
      : `${posix.dirname(top)}/`;
  return checkPackage(
    {
      source: file,
      manifestText: files.get(`${prefix}${MANIFEST_FILE}`),
      module: (entrypoint) => Promise.resolve(files.get(`${prefix}${entrypoint}`)),
      sbom: sbomFile
        ? await readLocalFile(sbomFile, 'the SBOM')
        : files.get(`${prefix}${SBOM_FILE}`),
    },
    options,
  );
}

/** A manifest and a module named one by one (the module's own file name does not matter). */
async function readPackagePair(
  manifestFile: string,
  moduleFile: string,
  sbomFile?: string,
  options?: PackageCheckOptions,
): Promise<PluginPackage> {
  const module = await readLocalFile(moduleFile, 'the module');
  return checkPackage(
    {
      source: manifestFile,
      manifestText: await readLocalFile(manifestFile, 'the manifest'),
      module: () => Promise.resolve(module),
      sbom: sbomFile ? await readLocalFile(sbomFile, 'the SBOM') : undefined,
    },
    options,
  );
}

/**
 * The package `paths` name, as `submit` and `verify` take it: a directory, a .tgz, or
 * plugin.json and module.wasm. `command` names the command in a usage error.
 */
export async function readPackage(
  command: string,
  paths: string[],
  sbom?: string,
  options?: PackageCheckOptions,
): Promise<PluginPackage> {
  if (paths.length === 2) return readPackagePair(paths[0], paths[1], sbom, options);
  if (paths.length !== 1)
    throw usageError(
      `${command} takes a directory, a .tgz, or plugin.json and module.wasm (${paths.length} given)`,
      `see \`convergio ${command} --help\``,
    );
  return (await isDirectory(paths[0]))
    ? readPackageDir(paths[0], sbom, options)
    : readPackageTarball(paths[0], sbom, options);
}

/** Whether a path is a directory (false when it is a file; an input error when missing). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    throw fileError(error, path, 'the package');
  }
}

async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readLocalFile(path, 'the file');
  } catch (error) {
    if ((error as { code?: string }).code === 'file_not_found') return undefined;
    throw error;
  }
}
