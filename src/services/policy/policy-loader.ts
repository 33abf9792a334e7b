/**
 * Safety policies from YAML files: one file is one policy (`policies/default.yaml` is the
 * built-in one written out). YAML syntax errors are reported with line:column; schema problems
 * with the field's path and, where the file has it, its line:column. Every problem of a file is
 * reported at once, in one `VALIDATION_FAILED` error.
 *
 * A directory of policies holds one file per project, named after it (`web.yaml` is the policy
 * of project `web`); `default.yaml` is the policy of every other project (the built-in policy
 * when the directory has none).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ProjectName } from '../../contract/task-schemas.js';
import { CorticalError } from '../../core/errors.js';
import { DEFAULT_SAFETY_POLICY, formatIssuePath, safetyPolicyIssues, type SafetyPolicy, type SafetyPolicyIssue } from '../../core/safety-policy.js';

/** Policy files larger than this are refused unread. */
export const MAX_POLICY_FILE_BYTES = 1024 * 1024;

export const POLICY_FILE_EXTENSIONS: readonly string[] = ['.yaml', '.yml'];

/** A policy's problems, each `SOURCE[:LINE:COL]: path: what; accepted`. */
export type PolicyTextResult = { readonly ok: true; readonly policy: SafetyPolicy } | { readonly ok: false; readonly problems: string[] };

function yamlMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

/** The line:column of the deepest node of `path` the document has (a key's own position for a map entry). */
function locate(doc: Document, lines: LineCounter, path: readonly (string | number)[]): string | null {
  let node: unknown = doc.contents;
  const rangeStart = (n: unknown): number | null => {
    const r = (n as { range?: [number, number, number] } | null)?.range;
    return Array.isArray(r) ? r[0] : null;
  };
  let offset = rangeStart(node);
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      if (pair === undefined) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else break;
  }
  if (offset === null) return null;
  const pos = lines.linePos(offset);
  return `${pos.line}:${pos.col}`;
}

/** Parses and validates one policy's YAML text; never throws. */
export function checkSafetyPolicyText(text: string, sourceName: string): PolicyTextResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const at = e.linePos?.[0];
        return `${sourceName}${at === undefined ? '' : `:${at.line}:${at.col}`}: YAML syntax error: ${yamlMessage(e.message)}`;
      }),
    };
  }
  let obj: unknown;
  try {
    obj = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return { ok: false, problems: [`${sourceName}: YAML error: ${e instanceof Error ? e.message : String(e)}`] };
  }
  if (obj === null || obj === undefined) return { ok: false, problems: [`${sourceName}: the file is empty; a policy needs at least version: 1, name and tools`] };
  const { policy, issues } = safetyPolicyIssues(obj);
  if (policy !== null) return { ok: true, policy };
  return { ok: false, problems: issues.map((i: SafetyPolicyIssue) => {
    const at = locate(doc, lines, i.path);
    return `${sourceName}${at === null ? '' : `:${at}`}: ${formatIssuePath(i.path)}: ${i.message}`;
  }) };
}

function invalid(sourceName: string, problems: readonly string[]): CorticalError {
  const list = problems.map((p) => `  - ${p}`).join('\n');
  return new CorticalError('VALIDATION_FAILED', `invalid safety policy ${sourceName} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${list}`, { source: sourceName, problems: [...problems] });
}

/** One policy from YAML text; throws `VALIDATION_FAILED` listing every problem. */
export function loadSafetyPolicyText(text: string, sourceName: string): SafetyPolicy {
  const r = checkSafetyPolicyText(text, sourceName);
  if (!r.ok) throw invalid(sourceName, r.problems);
  return r.policy;
}

async function readPolicyText(path: string): Promise<string> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new CorticalError('VALIDATION_FAILED', `${path} is not a file; give a policy file (.yaml or .yml)`);
    size = s.size;
  } catch (e) {
    if (e instanceof CorticalError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CorticalError('NOT_FOUND', `policy file ${path} does not exist`, { path });
    throw new CorticalError('VALIDATION_FAILED', `cannot read policy file ${path}: ${e instanceof Error ? e.message : String(e)}`, { path });
  }
  if (size > MAX_POLICY_FILE_BYTES) throw new CorticalError('VALIDATION_FAILED', `policy file ${path} is ${size} bytes; at most ${MAX_POLICY_FILE_BYTES} are accepted`, { path });
  return readFile(path, 'utf8');
}

/** Checks one policy file (problems name it `sourceName`); never throws for a bad policy (a missing or unreadable file is a problem too). */
export async function checkSafetyPolicyFile(path: string, sourceName = path): Promise<PolicyTextResult> {
  let text: string;
  try {
    text = await readPolicyText(path);
  } catch (e) {
    return { ok: false, problems: [e instanceof Error ? e.message : String(e)] };
  }
  return checkSafetyPolicyText(text, sourceName);
}

/** One policy file; throws `VALIDATION_FAILED` listing every problem (`NOT_FOUND` when missing). */
export async function loadSafetyPolicyFile(path: string): Promise<SafetyPolicy> {
  return loadSafetyPolicyText(await readPolicyText(path), path);
}

export interface SafetyPolicySet {
  /** The policy of projects without a file of their own. */
  readonly defaultPolicy: SafetyPolicy;
  /** Project → its policy. */
  readonly projects: ReadonlyMap<string, SafetyPolicy>;
  /** Project (or `default`) → the file it came from. */
  readonly sources: ReadonlyMap<string, string>;
}

/** The policy of `project`. */
export function policyForProject(set: SafetyPolicySet, project: string): SafetyPolicy {
  return set.projects.get(project) ?? set.defaultPolicy;
}

/** Every `*.yaml`/`*.yml` of `dir`, one policy per project; throws one `VALIDATION_FAILED` naming every bad file. */
export async function loadSafetyPolicies(dir: string): Promise<SafetyPolicySet> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CorticalError('NOT_FOUND', `policy directory ${dir} does not exist`, { path: dir });
    throw new CorticalError('VALIDATION_FAILED', `cannot read policy directory ${dir}: ${e instanceof Error ? e.message : String(e)}`, { path: dir });
  }
  const problems: string[] = [];
  const projects = new Map<string, SafetyPolicy>();
  const sources = new Map<string, string>();
  let defaultPolicy: SafetyPolicy | null = null;
  for (const name of names) {
    const ext = extname(name);
    if (!POLICY_FILE_EXTENSIONS.includes(ext)) continue;
    const path = join(dir, name);
    if (!(await stat(path)).isFile()) continue;
    const project = basename(name, ext);
    if (!ProjectName.safeParse(project).success) {
      problems.push(`${path}: the file name must be a project name (lowercase letters, digits, . _ -, up to 63, starting with a letter or digit) plus .yaml or .yml`);
      continue;
    }
    const earlier = sources.get(project);
    if (earlier !== undefined) {
      problems.push(`${path}: project ${project} already has a policy in ${earlier}; keep one file per project`);
      continue;
    }
    const r = await checkSafetyPolicyFile(path);
    if (!r.ok) {
      problems.push(...r.problems);
      continue;
    }
    sources.set(project, path);
    if (project === 'default') defaultPolicy = r.policy;
    else projects.set(project, r.policy);
  }
  if (problems.length > 0) {
    const list = problems.map((p) => `  - ${p}`).join('\n');
    throw new CorticalError('VALIDATION_FAILED', `invalid safety policies in ${dir} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${list}`, { path: dir, problems });
  }
  return { defaultPolicy: defaultPolicy ?? DEFAULT_SAFETY_POLICY, projects, sources };
}
