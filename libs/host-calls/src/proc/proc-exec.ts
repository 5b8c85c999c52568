import { spawnSync, type SpawnSyncOptionsWithBufferEncoding } from 'node:child_process';
import { closeSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostEnvironment, HostError } from '@convergio/sandbox';
import {
  capOutput,
  decideExec,
  decideExecAtAll,
  decideExecCwd,
  describePluginValue,
  parseExecRequest,
  parsePluginPath,
  type BinaryGrant,
} from '@convergio/policy';
import { hostError } from '../fs/host-error.js';
import { openDirectory, RaceDetected } from '../fs/pinned-open.js';
import { lstatFacts, resolveReal } from '../fs/resolve-path.js';

/** What proc_exec needs to know about the plugin's grants, resolved once. */
export interface ExecGrants {
  binaries: BinaryGrant[] | undefined;
  /** Real paths of fs.read and fs.write grants: where a cwd may be. */
  fsRoots: string[];
  /** Real paths of fs.write grants: binaries there are refused. */
  writeRoots: string[];
}

/** The result of one process run, as the plugin receives it. */
export interface ExecResult {
  exit_code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timed_out: boolean;
  truncated: boolean;
}

export function realOrNull(path: string): string | null {
  try {
    return realpathSync.native(path);
  } catch {
    return null;
  }
}

/**
 * `proc_exec {binary, args?: string[], cwd?, stdin?}` → `{exit_code, signal, stdout, stderr,
 * timed_out, truncated}` (needs proc.exec and a trusted or official plugin). `binary` is an
 * absolute path whose real path is a granted binary's; it runs with argv[0] set to the
 * granted name, no shell, arguments passed as they are, an EMPTY environment, and `cwd`
 * inside the plugin's fs grants (default: a fresh empty temporary directory, removed after).
 * After policy.procTimeoutMs the whole process group is killed (`timed_out`); stdout and
 * stderr are capped at policy.maxProcOutputBytes each (`truncated`, the process is killed
 * when it writes more). `exit_code` is null when a signal ended it. stdin is capped at
 * policy.maxProcOutputBytes. Errors: permission_denied (recorded), io_error.
 */
export function procExec(env: HostEnvironment, grants: ExecGrants, input: unknown): unknown {
  const target = describePluginValue((input as { binary?: unknown } | null)?.binary);
  const gate = decideExecAtAll(env.plugin.trust, grants.binaries);
  if (!gate.allowed) return env.deny('proc.exec', target, gate.reason);

  const { policy } = env;
  const parsed = parseExecRequest(input, policy.maxProcOutputBytes);
  if (!parsed.ok) return env.deny('proc.exec', target, parsed.reason);
  const request = parsed.request;
  const decision = decideExec({
    trust: env.plugin.trust,
    grants: grants.binaries,
    requestedReal: realOrNull(request.binary),
    writeRoots: grants.writeRoots,
  });
  if (!decision.allowed) return env.deny('proc.exec', request.binary, decision.reason);

  const workDir = openWorkingDirectory(env, grants, request.binary, request.cwd);
  if ('error' in workDir) return workDir;
  try {
    return run(
      decision.grant,
      request.args,
      workDir.cwd,
      request.stdin ?? '',
      policy.procTimeoutMs,
      policy.maxProcOutputBytes,
    );
  } finally {
    workDir.release();
  }
}

type WorkDir = { cwd: string; release: () => void };

/**
 * The directory the process starts in. A plugin-chosen directory is opened and verified,
 * and the child changes into it through /proc/self/fd/<n>, so swapping a path component
 * for a symlink after the check does not move it elsewhere.
 */
function openWorkingDirectory(
  env: HostEnvironment,
  grants: ExecGrants,
  binary: string,
  cwd: string | undefined,
): WorkDir | HostError {
  if (cwd === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'convergio-exec-'));
    return { cwd: dir, release: () => rmSync(dir, { recursive: true, force: true }) };
  }
  const parsed = parsePluginPath(cwd);
  if (!parsed.ok) return env.deny('proc.exec', binary, `cwd: ${parsed.reason}`);
  const resolution = resolveReal(parsed.path);
  if (resolution.kind !== 'resolved') return env.deny('proc.exec', binary, 'cwd does not resolve');
  const decision = decideExecCwd(
    resolution.realPath,
    lstatFacts(resolution.realPath).kind,
    grants.fsRoots,
  );
  if (!decision.allowed) return env.deny('proc.exec', binary, decision.reason);
  if (!resolution.exists) return hostError('not_found', 'cwd does not exist');
  let fd: number;
  try {
    fd = openDirectory(resolution.realPath);
  } catch (error) {
    if (error instanceof RaceDetected)
      return env.deny('proc.exec', binary, `cwd: ${error.message}`);
    throw error;
  }
  // Kept open (CLOEXEC) until the child has started: the child resolves its own /proc/self/fd/<n>.
  return { cwd: `/proc/self/fd/${fd}`, release: () => closeSync(fd) };
}

function run(
  grant: BinaryGrant,
  args: string[],
  cwd: string,
  stdin: string,
  timeoutMs: number,
  maxOutput: number,
): ExecResult | HostError {
  // `detached` is honoured by spawnSync (the child calls setsid) but missing from Node's types.
  const options: SpawnSyncOptionsWithBufferEncoding & { detached: boolean } = {
    argv0: grant.declared,
    cwd,
    env: {},
    shell: false,
    input: stdin,
    stdio: 'pipe',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: maxOutput,
    // Its own session and process group, so the whole group can be killed below.
    detached: true,
    windowsHide: true,
  };
  const result = spawnSync(grant.real!, args, options);
  if (result.pid) killGroup(result.pid);
  const error: NodeJS.ErrnoException | undefined = result.error;
  const code = error?.code;
  if (error && code !== 'ETIMEDOUT' && code !== 'ENOBUFS') {
    return hostError('io_error', `the process could not be started (${code ?? 'unknown'})`);
  }
  const stdout = capOutput(result.stdout ?? Buffer.alloc(0), maxOutput);
  const stderr = capOutput(result.stderr ?? Buffer.alloc(0), maxOutput);
  return {
    exit_code: result.status,
    signal: result.signal,
    stdout: Buffer.from(stdout.bytes).toString('utf8'),
    stderr: Buffer.from(stderr.bytes).toString('utf8'),
    timed_out: code === 'ETIMEDOUT',
    truncated: code === 'ENOBUFS' || stdout.truncated || stderr.truncated,
  };
}

/**
 * Kills what the process left behind in its group (background children, and on timeout
 * the children spawnSync's kill of the leader does not reach). A process that called
 * setsid() itself escapes; only a cgroup or container boundary stops that.
 */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}
