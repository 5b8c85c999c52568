import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ARTIFACT_STORE, type ArtifactStore } from '@convergio/artifacts';
import { WasmRuntime, type LoadedPlugin } from '@convergio/sandbox';
import { EXECUTOR_LIMITS, type ExecutorLimits } from './executor-limits.js';

/** This executor process, as named in plugin.loaded / plugin.unloaded. */
export const INSTANCE = `${hostname()}-${process.pid}`;

/** How a load went, for plugin.loaded. */
export interface LoadReport {
  plugin: LoadedPlugin;
  loadMs: number;
  cached: boolean;
}

/** The plugins loaded in this process, one instance per version, compiled once per module hash. */
@Injectable()
export class PluginHost implements OnApplicationShutdown {
  private readonly log = new Logger(PluginHost.name);
  private readonly runtime: WasmRuntime;
  private readonly loaded = new Map<string, Promise<LoadedPlugin>>();
  private readonly compiledHashes = new Set<string>();

  constructor(
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    @Inject(EXECUTOR_LIMITS) limits: ExecutorLimits,
  ) {
    this.runtime = new WasmRuntime({
      timeoutMs: limits.timeoutMs,
      maxMemoryPages: limits.maxMemoryPages,
      logger: this.log,
    });
  }

  /** The running instance of a version, loading it on first use. */
  async get(pluginId: string, version: string, sha256: string): Promise<LoadedPlugin> {
    return (await this.load(pluginId, version, sha256)).plugin;
  }

  /** Loads a version if it is not loaded yet; `fresh` says whether this call loaded it. */
  async load(
    pluginId: string,
    version: string,
    sha256: string,
  ): Promise<LoadReport & { fresh: boolean }> {
    const key = `${pluginId}@${version}`;
    const existing = this.loaded.get(key);
    if (existing) return { plugin: await existing, loadMs: 0, cached: true, fresh: false };
    const started = performance.now();
    const cached = this.compiledHashes.has(sha256);
    const loading = this.artifacts.get(sha256).then((bytes) => this.runtime.load(bytes, sha256));
    this.loaded.set(key, loading);
    loading.catch(() => this.loaded.delete(key));
    const plugin = await loading;
    this.compiledHashes.add(sha256);
    return { plugin, loadMs: performance.now() - started, cached, fresh: true };
  }

  /** Drops a version's instance; true if one was loaded. */
  async unload(pluginId: string, version: string): Promise<boolean> {
    const key = `${pluginId}@${version}`;
    const loading = this.loaded.get(key);
    if (!loading) return false;
    this.loaded.delete(key);
    await (await loading).close();
    return true;
  }

  /** The versions loaded in this process, as [pluginId, version]. */
  loadedVersions(): [string, string][] {
    return [...this.loaded.keys()].map((key) => {
      const at = key.lastIndexOf('@');
      return [key.slice(0, at), key.slice(at + 1)];
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.loaded.values()].map(async (p) => (await p).close()));
  }
}
