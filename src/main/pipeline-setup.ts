/**
 * The safety pipeline's setup on HQ's host: a runtime for Green and VERIFY sleeves (bubblewrap
 * where it works, else unsandboxed processes with a warning), Green snapshots, the policy file
 * (loaded and validated at start) and the default Blue target for the Bridge.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BubblewrapRuntime } from '../adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import { ProcessRuntime } from '../adapters/runtime/process/process-runtime.js';
import { GitWorkspaceSnapshots } from '../adapters/workspace/git/workspace-snapshots.js';
import { CorticalError } from '../core/errors.js';
import type { Logger } from '../core/ports/logger.js';
import type { SafetyPolicy } from '../core/safety-policy.js';
import type { BlueTargetSpec } from '../services/pipeline/blue-target.js';
import type { PipelineSetup } from '../services/hq/pipeline-service.js';
import { loadSafetyPolicyFile } from '../services/policy/policy-loader.js';

/** `git:/path/to/repo#branch` or `release:/path/to/dir` (a `current` link over `releases/`). */
export function parsePipelineTarget(text: string): BlueTargetSpec {
  const git = /^git:(\/[^#]+)#([^#\s]+)$/.exec(text.trim());
  if (git !== null) return { kind: 'git-branch', repo: git[1]!, branch: git[2]! };
  const release = /^release:(\/\S+)$/.exec(text.trim());
  if (release !== null) return { kind: 'release-dir', root: release[1]! };
  throw new CorticalError('VALIDATION_FAILED', `CORTICAL_PIPELINE_TARGET=${JSON.stringify(text)}: expected git:/abs/repo#branch or release:/abs/dir`);
}

export async function pipelineSetup(opts: {
  dataDir: string;
  logger: Logger;
  /** CORTICAL_PIPELINE_TARGET */
  target?: string | undefined;
  /** CORTICAL_POLICY_FILE: the safety policy (YAML); default: the built-in policy. */
  policyFile?: string | undefined;
}): Promise<PipelineSetup> {
  const workRoot = join(opts.dataDir, 'pipeline');
  await mkdir(join(workRoot, 'workspaces'), { recursive: true, mode: 0o700 });
  let policy: SafetyPolicy | undefined;
  if (opts.policyFile !== undefined) {
    policy = await loadSafetyPolicyFile(opts.policyFile);
    opts.logger.info({ file: opts.policyFile, tools: policy.tools.length }, 'safety policy loaded');
  }
  const sandboxed = await BubblewrapRuntime.available();
  if (!sandboxed) opts.logger.warn({ runtime: 'process' }, 'safety pipeline: bubblewrap is not available, Green and VERIFY run UNSANDBOXED');
  const defaultTarget = opts.target !== undefined ? parsePipelineTarget(opts.target) : null;
  const fixed = policy;
  return {
    runtime: sandboxed ? new BubblewrapRuntime({}) : new ProcessRuntime(),
    snapshots: new GitWorkspaceSnapshots(workRoot),
    workRoot,
    policy: fixed !== undefined ? () => fixed : undefined,
    defaultTarget,
  };
}
