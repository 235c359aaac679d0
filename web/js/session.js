// Who is signed in (from GET /me or the login answer), in memory only, and what they may see.
// The server decides every right; these only choose which links and buttons to offer.
export const session = { user: null };

const has = (user, role, scope) =>
  !!user && (user.roles || []).some((r) => r.role === role && (scope === undefined || r.scope === scope));

export function isTenantUser(user) {
  return !!user && user.tenant_id !== null && user.tenant_id !== undefined;
}

export function isTenantAdmin(user) {
  return isTenantUser(user) && has(user, 'tenant_admin', '/');
}

export function isInternalApprover(user) {
  return !!user && user.tenant_id === null && has(user, 'internal_approver');
}

export function isPlatformAdmin(user) {
  return !!user && user.tenant_id === null && has(user, 'platform_admin');
}
