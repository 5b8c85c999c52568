import { mkdir } from 'node:fs/promises';
import { Inject, Injectable } from '@nestjs/common';
import {
  DomainError,
  pluginVersionKey,
  type Finding,
  type Manifest,
  type Permissions,
  type PluginVersionKey,
} from '@convergio/contracts';
import { checkGrants, expandPluginDirInGrants, netPolicyFor } from '@convergio/policy/grant';
import { grantContextOf } from '@convergio/runtime';
import type { OperatorPolicy } from '@convergio/sandbox';
import type { ExecutorSettings } from '../config/executor.config.js';
import { EXECUTOR_SETTINGS } from '../invocations/executor-limits.js';

/** What a version runs with once it fits the policy: its grants with `$PLUGIN_DIR` expanded, and its own policy. */
export interface AdmittedGrants {
  grants: Permissions;
  policy: OperatorPolicy;
}

/**
 * The operator grant policy at the executor: every version is checked again when it is loaded
 * or called (verification may have run under another policy file, or before a policy change).
 * The policy is read once at boot, so a version's verdict is computed once per process.
 */
@Injectable()
export class PolicyGate {
  private readonly verdicts = new Map<PluginVersionKey, Finding[]>();

  constructor(@Inject(EXECUTOR_SETTINGS) private readonly settings: ExecutorSettings) {}

  /** The policy rules a version breaks (empty: it fits). */
  violations(pluginId: string, version: string, manifest: Manifest): Finding[] {
    const key = pluginVersionKey(pluginId, version);
    let verdict = this.verdicts.get(key);
    if (!verdict) {
      const { grants } = this.settings;
      verdict = checkGrants(manifest, grants.policy, grantContextOf(grants, pluginId));
      this.verdicts.set(key, verdict);
    }
    return verdict;
  }

  /** Throws `policy_violation` with the broken rules as details when the version does not fit. */
  assertFits(pluginId: string, version: string, manifest: Manifest): void {
    const violations = this.violations(pluginId, version, manifest);
    if (violations.length === 0) return;
    throw new DomainError(
      'policy_violation',
      `${pluginId}@${version} no longer fits the operator grant policy (${violations.map((v) => v.rule).join(', ')}); an admin must change the policy or the plugin must ship a version that fits`,
      violations,
    );
  }

  /**
   * Admits a version to the sandbox: checks it fits, creates its own directory (0700) and
   * returns the grants and policy its host functions enforce.
   */
  async admit(pluginId: string, version: string, manifest: Manifest): Promise<AdmittedGrants> {
    this.assertFits(pluginId, version, manifest);
    const { grants, policy } = this.settings;
    const context = grantContextOf(grants, pluginId);
    await mkdir(context.pluginDir, { recursive: true, mode: 0o700 });
    return {
      grants: expandPluginDirInGrants(manifest.permissions, context.pluginDir),
      policy: {
        ...policy,
        ...netPolicyFor(grants.policy, pluginId, policy.allowPrivateNetworks),
        protection: context.protection,
        pluginDir: context.pluginDir,
      },
    };
  }
}
