/** Scopes Keygate itself defines. Deployments add their own in `cdk.json` context (`keygate:scopes`). */

export interface ScopeDefinition {
  readonly name: string;
  readonly description: string;
}

export const ADMIN_SCOPE = 'admin';

export const BUILT_IN_SCOPES: readonly ScopeDefinition[] = [
  { name: ADMIN_SCOPE, description: 'Full access: manage keys of every owner and grant any scope.' },
  { name: 'keys:read', description: 'List and read keys of the caller’s own owner.' },
  { name: 'keys:write', description: 'Create, update, rotate and revoke keys of the caller’s own owner.' },
  { name: 'usage:read', description: 'Read usage reports (GET /v1/usage) of the caller’s own owner; with admin, of every owner.' },
  { name: 'audit:read', description: 'Read and verify the audit log (GET /v1/audit) about the caller’s own owner’s keys; with admin, every owner’s.' },
  { name: 'keys:verify', description: 'Verify other keys with POST /v1/verify (for backends not behind API Gateway).' },
];

/** Scope names: lowercase words joined by `:`, `.`, `-` or `_`, at most 64 characters. */
export const SCOPE_PATTERN = /^[a-z][a-z0-9_.-]*(:[a-z0-9_.*-]+)*$/;

/** Merges the deployment's scopes with the built-in ones (built-ins win on a name clash). */
export function mergeScopes(custom: readonly ScopeDefinition[]): ScopeDefinition[] {
  const byName = new Map<string, ScopeDefinition>();
  for (const s of custom) byName.set(s.name, s);
  for (const s of BUILT_IN_SCOPES) byName.set(s.name, s);
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** `admin` satisfies every requirement; otherwise every required scope must be held. */
export function hasScopes(held: readonly string[], required: readonly string[]): boolean {
  if (held.includes(ADMIN_SCOPE)) return true;
  return required.every((r) => held.includes(r));
}

export function missingScopes(held: readonly string[], required: readonly string[]): string[] {
  if (held.includes(ADMIN_SCOPE)) return [];
  return required.filter((r) => !held.includes(r));
}
