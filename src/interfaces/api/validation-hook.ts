import type { Context } from 'hono';
import { errorBody } from './error-mapper.js';

interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code: string;
  readonly keys?: readonly string[];
}

type HookResult =
  | { target: string; success: true; data: unknown }
  | { target: string; success: false; error: { issues: readonly IssueLike[] } };

/** Finds the schema a request part was validated with (for listing accepted keys). */
export type SchemaLookup = (c: Context, target: string) => unknown;

const TARGET_NAMES: Readonly<Record<string, string>> = {
  json: 'body',
  param: 'path',
  query: 'query',
  header: 'header',
  cookie: 'cookie',
  form: 'body',
};

/** Field path as `body.repo.path` / `query.limit`. */
function fieldOf(target: string, path: readonly PropertyKey[]): string {
  const base = TARGET_NAMES[target] ?? target;
  return path.length === 0 ? base : `${base}.${path.map((p) => String(p)).join('.')}`;
}

interface ZodDefLike {
  readonly type?: string;
  readonly shape?: Readonly<Record<string, unknown>>;
  readonly innerType?: unknown;
  readonly in?: unknown;
  readonly element?: unknown;
}

function defOf(schema: unknown): ZodDefLike | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const zod = (schema as { _zod?: { def?: ZodDefLike } })._zod;
  return zod?.def;
}

/** The keys an object schema accepts at `path`, unwrapping optional/default/nullable/pipe/array. */
export function acceptedKeys(schema: unknown, path: readonly PropertyKey[]): string[] | undefined {
  let current: unknown = schema;
  let i = 0;
  for (let guard = 0; guard < 64; guard++) {
    const def = defOf(current);
    if (def === undefined) return undefined;
    if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') {
      current = def.innerType;
    } else if (def.type === 'pipe') {
      current = def.in;
    } else if (i < path.length && def.type === 'array') {
      current = def.element;
      i += 1;
    } else if (def.type === 'object' && def.shape !== undefined) {
      if (i === path.length) return Object.keys(def.shape);
      current = def.shape[String(path[i])];
      i += 1;
    } else {
      return undefined;
    }
  }
  return undefined;
}

function describe(issue: IssueLike, schema: unknown): string {
  if (issue.code === 'unrecognized_keys') {
    const accepted = acceptedKeys(schema, issue.path);
    const keys = (issue.keys ?? []).map((k) => `'${k}'`).join(', ');
    const unknown = keys === '' ? issue.message : `unknown field(s) ${keys}`;
    return accepted === undefined ? unknown : `${unknown}; accepted: ${accepted.join(', ')}`;
  }
  return issue.message;
}

/**
 * The validation hook of every route: a failed zod parse becomes 400 VALIDATION_FAILED naming each
 * field and what is accepted.
 */
export function createValidationHook(lookup: SchemaLookup) {
  return (result: HookResult, c: Context): Response | undefined => {
    if (result.success) return undefined;
    let schema: unknown;
    try {
      schema = lookup(c, result.target);
    } catch {
      schema = undefined;
    }
    const issues = result.error.issues.map((i) => ({
      field: fieldOf(result.target, i.path),
      code: i.code,
      message: describe(i, schema),
    }));
    const summary = issues
      .slice(0, 5)
      .map((i) => `${i.field}: ${i.message}`)
      .join('; ');
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
    return c.json(errorBody('VALIDATION_FAILED', `invalid request: ${summary}${more}`, { issues }), 400);
  };
}
