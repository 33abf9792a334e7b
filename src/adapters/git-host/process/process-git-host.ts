import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { Readable } from 'node:stream';
import { CorticalError } from '../../../core/errors.js';
import type { GitHost, GitService } from '../../../core/ports/git-host.js';
import { FLUSH_PKT, pktLine } from '../../../core/git-push-policy.js';
import { LOCATING_VARS } from '../../workspace/git/git.js';


function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0' };
  for (const name of LOCATING_VARS) delete env[name];
  return env;
}

/**
 * Settings for the served repository: HQ may run as another user than the repository's owner
 * (safe.directory for this path only), and no automatic gc is started by a push.
 */
function serviceArgs(path: string, service: GitService): string[] {
  return ['-c', `safe.directory=${path}`, '-c', 'gc.auto=0', '-c', 'receive.autogc=false', service.slice('git-'.length)];
}

/** Runs git's upload-pack / receive-pack (stateless RPC) as child processes, without a shell. */
export class ProcessGitHost implements GitHost {
  constructor(private readonly gitPath = 'git') {}

  async isRepository(path: string): Promise<boolean> {
    if (!isAbsolute(path)) return false;
    const st = await stat(path).catch(() => null);
    if (st === null || !st.isDirectory()) return false;
    return new Promise((resolve) => {
      const child = spawn(this.gitPath, ['-c', `safe.directory=${path}`, '-C', path, 'rev-parse', '--git-dir'], { stdio: 'ignore', env: gitEnv() });
      child.once('error', () => resolve(false));
      child.once('exit', (code) => resolve(code === 0));
    });
  }

  async advertise(path: string, service: GitService): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    const child = spawn(this.gitPath, [...serviceArgs(path, service), '--stateless-rpc', '--advertise-refs', path], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: gitEnv(),
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (e) => reject(new CorticalError('UNAVAILABLE', `cannot run git ${service}: ${e.message}`)));
      child.once('close', (c) => resolve(c));
    });
    if (code !== 0) throw new CorticalError('UNAVAILABLE', `git ${service} failed: ${stderr.trim().split('\n')[0] ?? ''}`);
    const head = Buffer.from(pktLine(`# service=${service}\n`) + FLUSH_PKT, 'latin1');
    return Buffer.concat([head, ...chunks]);
  }

  async *serve(path: string, service: GitService, body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    const child = spawn(this.gitPath, [...serviceArgs(path, service), '--stateless-rpc', path], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: gitEnv(),
    });
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (e) => reject(new CorticalError('UNAVAILABLE', `cannot run git ${service}: ${e.message}`)));
    });
    failed.catch(() => undefined);
    child.stderr.resume();
    child.stdin.on('error', () => undefined);
    const feed = Readable.from(body);
    feed.on('error', () => child.stdin.destroy());
    feed.pipe(child.stdin);
    try {
      for await (const chunk of child.stdout) yield chunk as Buffer;
    } finally {
      feed.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}
