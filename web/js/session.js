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

// Mirrors the server's rule (core/authz.c scope_covers): "/" covers every resource id; any other
// scope covers itself and what lies below it, on whole path segments.
export function scopeCovers(scope, resourceId) {
  if (scope === '/') return resourceId.startsWith('/');
  return resourceId.startsWith(scope) && (resourceId.length === scope.length || resourceId[scope.length] === '/');
}

// May this user decide request q: a tenant admin at "/", or a lockbox_approver or owner whose
// scope covers every resource of the request (API.md, "eligible approver").
export function canApprove(user, q) {
  if (!isTenantUser(user) || user.tenant_id !== q.tenant_id) return false;
  const ids = q.resource_ids || [];
  return (user.roles || []).some((r) => (r.role === 'tenant_admin' && r.scope === '/') ||
    ((r.role === 'lockbox_approver' || r.role === 'owner') && ids.length > 0 &&
      ids.every((id) => scopeCovers(r.scope, id))));
}

// Has this user already given their decision on q (a quorum waits for others then).
export function hasDecided(user, q) {
  return !!user && (q.decisions || []).some((d) => d.by === user.username);
}

// Is q waiting for this user: a customer decision they may give, or an internal review of a
// request they did not make.
export function waitsFor(user, q) {
  if (q.status === 'pending') return canApprove(user, q) && !hasDecided(user, q);
  if (q.status === 'pending_internal')
    return isInternalApprover(user) && !(q.requester && q.requester.id === user.id);
  return false;
}

// May this user search the audit log (core/access.c core_audit_query): tenant admins, auditors
// and lockbox approvers of their tenant; the provider's platform admins and auditors.
export function canReadAudit(user) {
  if (isTenantUser(user)) return ['tenant_admin', 'auditor', 'lockbox_approver'].some((r) => has(user, r));
  return has(user, 'platform_admin') || has(user, 'auditor');
}

// Where a user starts: the provider's internal approvers at their review queue.
export function homePath(user) {
  return isInternalApprover(user) && !isPlatformAdmin(user) ? '/review' : '/';
}
