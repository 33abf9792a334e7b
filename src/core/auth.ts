/** Roles and what each may do. Pure: the API asks `allows(role, permission)`. */
export const ROLES = ['admin', 'operator', 'viewer', 'node'] as const;
export type Role = (typeof ROLES)[number];

/** Roles a user (not a node) can hold; `token create --role node` makes a join token instead. */
export const USER_ROLES = ['admin', 'operator', 'viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const PERMISSIONS = [
  'tasks:read',
  'tasks:write', // create, control, guide
  'nodes:read',
  'nodes:write', // cordon, drain
  'killswitch:read',
  'killswitch:write',
  'tokens:write',
  'events:read',
  'lease:act', // node: claim, renew, report, complete its own leases
  'task:self', // a sleeve's task credential: its own task's git remote and record
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const TABLE: Readonly<Record<Role, readonly Permission[]>> = {
  admin: [
    'tasks:read',
    'tasks:write',
    'nodes:read',
    'nodes:write',
    'killswitch:read',
    'killswitch:write',
    'tokens:write',
    'events:read',
  ],
  operator: [
    'tasks:read',
    'tasks:write',
    'nodes:read',
    'nodes:write',
    'killswitch:read',
    'killswitch:write',
    'events:read',
  ],
  viewer: ['tasks:read', 'nodes:read', 'killswitch:read', 'events:read'],
  node: ['lease:act', 'killswitch:read'],
};

/**
 * Who can call the API: the stored token roles plus `task`, the lease-scoped credential a sleeve
 * gets (never stored, never created by users; valid only while its lease lives).
 */
export type PrincipalRole = Role | 'task';

const PRINCIPAL_TABLE: Readonly<Record<PrincipalRole, readonly Permission[]>> = { ...TABLE, task: ['task:self'] };

export function allows(role: PrincipalRole, permission: Permission): boolean {
  return PRINCIPAL_TABLE[role].includes(permission);
}

/** Kinds of stored token. */
export const TOKEN_KINDS = ['api', 'join', 'node_access', 'node_refresh'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

export interface TokenRecord {
  readonly id: string;
  readonly kind: TokenKind;
  readonly role: Role;
  /** sha256 hex of the secret part; the secret itself is never stored. */
  readonly secretHash: string;
  /** For node_access / node_refresh: the node it belongs to. */
  readonly nodeId: string | null;
  readonly label: string | null;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  /** Join tokens: single-use ones are consumed on first join. */
  readonly singleUse: boolean;
  readonly usedAt: number | null;
  readonly revokedAt: number | null;
}

/** Whether a token still authenticates at `nowMs`, or why not (revocation first, then expiry, then use). */
export type TokenState = 'active' | 'revoked' | 'expired' | 'used';

export function tokenState(token: TokenRecord, nowMs: number): TokenState {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && token.expiresAt <= nowMs) return 'expired';
  if (token.singleUse && token.usedAt !== null) return 'used';
  return 'active';
}

/** The principal behind an authenticated request. */
export interface Principal {
  readonly tokenId: string;
  readonly role: PrincipalRole;
  /** Set when the principal is a node. */
  readonly nodeId: string | null;
  /** Set when the principal is a task credential: the only task it may act on. */
  readonly taskId?: string | undefined;
}
