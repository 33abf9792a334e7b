/**
 * The host a containment test attacks: a node work dir with two task workspaces (this task's,
 * a git worktree, and another task's holding a secret), the node's credential file, a fake HQ
 * data dir with an admin token, a fake home with an SSH key, and a policy file the driver wrote
 * into the workspace. Every secret is a fresh random string, so finding it in a sleeve's output
 * means it was read.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ContainmentSecrets {
  readonly otherTask: string;
  readonly adminToken: string;
  readonly sshKey: string;
  readonly homeFile: string;
  readonly credential: string;
}

export interface ContainmentFixture {
  readonly base: string;
  /** The node's work dir: repos, workspaces and its credential file. */
  readonly nodeDir: string;
  readonly credentialFile: string;
  readonly repoDir: string;
  /** The repository's `.git` directory (the worktree's shared git dir: writable in the sleeve). */
  readonly gitDir: string;
  /** `.git/hooks` (read-only in the sleeve). */
  readonly hooksDir: string;
  /** This task's workspace: a git worktree of `repoDir`. */
  readonly workspace: string;
  readonly otherWorkspace: string;
  readonly otherSecretFile: string;
  readonly hqDir: string;
  readonly adminTokenFile: string;
  readonly home: string;
  readonly sshKeyFile: string;
  readonly homeSecretFile: string;
  /** The agent CLI's settings, written by the driver into the workspace (read-only in the sleeve). */
  readonly policyFile: string;
  /** The policy file's original content (readable in the sleeve, but never writable). */
  readonly policyContent: string;
  readonly secrets: ContainmentSecrets;
  /** What a node hides from its sleeves: its own work dir, HQ's data dir and the user's home. */
  readonly hiddenPaths: readonly string[];
  readonly readOnlyPaths: readonly string[];
  readonly writablePaths: readonly string[];
  /** A fresh path under the base dir that nothing creates (for "was it created?" checks). */
  freshPath(name: string): string;
  cleanup(): void;
}

function secret(label: string): string {
  return `${label}-${randomBytes(12).toString('hex')}`;
}

/** Fixtures go under /var/tmp where it exists: a sleeve's own /tmp must not hide them by accident. */
function baseRoot(): string {
  return existsSync('/var/tmp') && statSync('/var/tmp').isDirectory() ? '/var/tmp' : tmpdir();
}

function git(cwd: string, ...args: string[]): string {
  // Under a root node the runtime hands the worktree's git dir to the sleeve's unprivileged uid;
  // the host side then reads it as another user's repository (hence safe.directory).
  return execFileSync('git', ['-c', 'safe.directory=*', '-c', 'user.name=Host', '-c', 'user.email=host@example.invalid', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function makeContainmentFixture(label: string): ContainmentFixture {
  const base = mkdtempSync(join(baseRoot(), `cortical-containment-${label}-`));
  const secrets: ContainmentSecrets = {
    otherTask: secret('other-task'),
    adminToken: secret('admin-token'),
    sshKey: secret('ssh-key'),
    homeFile: secret('home-file'),
    credential: secret('node-credential'),
  };
  const policyMarker = secret('policy');

  const nodeDir = join(base, 'node');
  const workspaces = join(nodeDir, 'workspaces');
  const repoDir = join(nodeDir, 'repos', 'project');
  const workspace = join(workspaces, 'task-this');
  const otherWorkspace = join(workspaces, 'task-other');
  mkdirSync(repoDir, { recursive: true });
  mkdirSync(otherWorkspace, { recursive: true });

  const credentialFile = join(nodeDir, 'credential.json');
  writeFileSync(credentialFile, JSON.stringify({ nodeToken: secrets.credential }), { mode: 0o600 });
  const otherSecretFile = join(otherWorkspace, 'secret.txt');
  writeFileSync(otherSecretFile, `${secrets.otherTask}\n`);

  git(repoDir, 'init', '-q', '-b', 'main');
  writeFileSync(join(repoDir, 'README.md'), '# project\n');
  git(repoDir, 'add', 'README.md');
  git(repoDir, 'commit', '-q', '-m', 'initial');
  git(repoDir, 'worktree', 'add', '-q', '-b', 'task-this', workspace);
  const gitDir = join(repoDir, '.git');
  const hooksDir = join(gitDir, 'hooks');
  mkdirSync(hooksDir, { recursive: true });

  const policyDir = join(workspace, '.agent');
  mkdirSync(policyDir, { recursive: true });
  const policyFile = join(policyDir, 'settings.json');
  writeFileSync(policyFile, JSON.stringify({ allowedTools: ['Read'], marker: policyMarker }));

  const hqDir = join(base, 'hq');
  mkdirSync(hqDir, { recursive: true });
  const adminTokenFile = join(hqDir, 'admin.token');
  writeFileSync(adminTokenFile, `${secrets.adminToken}\n`, { mode: 0o600 });

  const home = join(base, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  const sshKeyFile = join(home, '.ssh', 'id_ed25519');
  writeFileSync(sshKeyFile, `-----BEGIN OPENSSH PRIVATE KEY-----\n${secrets.sshKey}\n-----END OPENSSH PRIVATE KEY-----\n`, {
    mode: 0o600,
  });
  const homeSecretFile = join(home, '.netrc');
  writeFileSync(homeSecretFile, `machine example.invalid login me password ${secrets.homeFile}\n`, { mode: 0o600 });

  let counter = 0;
  return {
    base,
    nodeDir,
    credentialFile,
    repoDir,
    gitDir,
    hooksDir,
    workspace,
    otherWorkspace,
    otherSecretFile,
    hqDir,
    adminTokenFile,
    home,
    sshKeyFile,
    homeSecretFile,
    policyFile,
    policyContent: readFileSync(policyFile, 'utf8'),
    secrets,
    hiddenPaths: [home, hqDir, nodeDir],
    readOnlyPaths: [hooksDir, policyFile],
    writablePaths: [gitDir],
    freshPath(name: string): string {
      counter += 1;
      return join(base, `${name}-${process.pid}-${counter}-${randomBytes(4).toString('hex')}`);
    },
    cleanup(): void {
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Every secret of the fixture that appears in `text`. */
export function leakedSecrets(fixture: ContainmentFixture, text: string): string[] {
  const all: string[] = Object.values<string>({ ...fixture.secrets });
  return all.filter((s) => text.includes(s));
}

export function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Runs git on the host in `cwd` (identity set), returning stdout. */
export function hostGit(cwd: string, ...args: string[]): string {
  return git(cwd, ...args);
}
