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
  type ExecRequest,
} from '@convergio/policy';
import { hostError, isFailure, refuse, type HostCallFailure } from '../host-call-result.js';
import { allow, defineHostFunction } from '../host-function-definition.js';
import { openDirectory, RaceDetected } from '../fs/pinned-open.js';
import { lstatFacts, resolveGrantRoots, resolveReal } from '../fs/resolve-path.js';

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

function realOrNull(path: string): string | null {
  try {
    return realpathSync.native(path);
  } catch {
    return null;
  }
}

/** What proc_exec works with: the plugin and its grants, resolved once per worker. */
export interface ExecBound {
  env: HostEnvironment;
  grants: ExecGrants;
}

const execTarget = (input: unknown): string =>
  describePluginValue((input as { binary?: unknown } | null)?.binary);

/**
 * `proc_exec {binary, args?: string[], cwd?, stdin?}` → `{exit_code, signal, stdout, stderr,
 * timed_out, truncated}` (needs proc.exec and a trusted or official plugin). `binary` is an
 * absolute path whose real path is a granted binary's; it runs with argv[0] set to the
 * granted name, no shell, arguments passed as they are, an EMPTY environment, and `cwd`
 * inside the plugin's fs grants (default: a fresh empty temporary directory, removed after).
 * After policy.procTimeoutMs the whole process group is killed (`timed_out`); stdout and
 * stderr are capped at policy.maxProcOutputBytes each (`truncated`, the process is killed
 * when it writes more). `exit_code` is null when a signal ended it. stdin is capped at
 * policy.maxProcOutputBytes.
 */
export const procExecFunction = defineHostFunction<ExecBound, ExecRequest>({
  capability: 'proc.exec',
  target: execTarget,
  bind: (env) => ({ env, grants: execGrants(env) }),
  admit: ({ env, grants }) => {
    const gate = decideExecAtAll(env.plugin.trust, grants.binaries);
    return gate.allowed ? null : gate.reason;
  },
  parse: (input, { env }) => {
    const parsed = parseExecRequest(input, env.policy.maxProcOutputBytes);
    return parsed.ok ? parsed.value : refuse(execTarget(input), parsed.reason);
  },
  // The binary's real path is what is decided on: run resolves it, then decides.
  decide: allow,
  run: (request, { env, grants }) => {
    const decision = decideExec({
      trust: env.plugin.trust,
      grants: grants.binaries,
      requestedReal: realOrNull(request.binary),
      writeRoots: grants.writeRoots,
    });
    if (!decision.allowed) return refuse(request.binary, decision.reason);
    const workDir = openWorkingDirectory(grants, request.binary, request.cwd);
    if (isFailure(workDir)) return workDir;
    try {
      return run(
        decision.grant,
        request.args,
        workDir.cwd,
        request.stdin ?? '',
        env.policy.procTimeoutMs,
        env.policy.maxProcOutputBytes,
      );
    } finally {
      workDir.release();
    }
  },
});

/** Granted binaries and fs roots, resolved once. */
function execGrants(env: HostEnvironment): ExecGrants {
  const read = resolveGrantRoots(env.grants['fs.read']?.paths);
  const write = resolveGrantRoots(env.grants['fs.write']?.paths);
  return {
    binaries: env.grants['proc.exec']?.binaries.map((declared) => ({
      declared,
      real: realOrNull(declared),
    })),
    fsRoots: [...(read?.real ?? []), ...(write?.real ?? [])],
    writeRoots: write?.real ?? [],
  };
}

type WorkDir = { cwd: string; release: () => void };

/**
 * The directory the process starts in. A plugin-chosen directory is opened and verified,
 * and the child changes into it through /proc/self/fd/<n>, so swapping a path component
 * for a symlink after the check does not move it elsewhere.
 */
function openWorkingDirectory(
  grants: ExecGrants,
  binary: string,
  cwd: string | undefined,
): WorkDir | HostCallFailure {
  if (cwd === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'convergio-exec-'));
    return { cwd: dir, release: () => rmSync(dir, { recursive: true, force: true }) };
  }
  const parsed = parsePluginPath(cwd);
  if (!parsed.ok) return refuse(binary, `cwd: ${parsed.reason}`);
  const resolution = resolveReal(parsed.value);
  if (resolution.kind !== 'resolved') return refuse(binary, 'cwd does not resolve');
  const decision = decideExecCwd(
    resolution.realPath,
    lstatFacts(resolution.realPath).kind,
    grants.fsRoots,
  );
  if (!decision.allowed) return refuse(binary, decision.reason);
  if (!resolution.exists) return hostError('not_found', 'cwd does not exist');
  let fd: number;
  try {
    fd = openDirectory(resolution.realPath);
  } catch (error) {
    if (error instanceof RaceDetected) return refuse(binary, `cwd: ${error.message}`);
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
