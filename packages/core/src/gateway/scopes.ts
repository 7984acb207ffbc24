import { Schema } from "effect"

/**
 * What an operator credential may do. Each gateway method names the one scope it needs;
 * `admin` holds every scope, and `approvals:resolve` includes `approvals:read` (an approver has
 * to see the queue to act on it). Nothing else implies anything: `runs:write` does not read
 * other runs, `audit:read` does not resolve approvals.
 */
export const Scope = Schema.Literals([
  "runs:read",
  "runs:write",
  "approvals:read",
  "approvals:resolve",
  "audit:read",
  "policy:read",
  "admin"
]).annotate({ identifier: "GatewayScope" })
export type Scope = typeof Scope.Type

/** Every scope, in a stable order (help texts, the admin UI, the auth matrix test). */
export const scopes: ReadonlyArray<Scope> = Scope.literals

const implied: Readonly<Record<Scope, ReadonlyArray<Scope>>> = {
  "runs:read": [],
  "runs:write": [],
  "approvals:read": [],
  "approvals:resolve": ["approvals:read"],
  "audit:read": [],
  "policy:read": [],
  admin: Scope.literals.filter((s) => s !== "admin")
}

/** True when a credential carrying `granted` may use a method that needs `required`. */
export const grants = (granted: ReadonlyArray<Scope>, required: Scope): boolean => {
  for (const scope of granted) {
    if (scope === required || implied[scope].includes(required)) return true
  }
  return false
}

/** Every scope a set of granted scopes holds, implied ones included, in the stable order. */
export const effectiveScopes = (granted: ReadonlyArray<Scope>): ReadonlyArray<Scope> =>
  scopes.filter((scope) => grants(granted, scope))
