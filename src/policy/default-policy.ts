/**
 * The built-in `default` policy: Vault's default policy, adapted to the paths Keygate has.
 * Left out on purpose: `cubbyhole/*` (Keygate has no per-token cubbyhole, and on the default
 * KV route that grant would open one shared `cubbyhole/` tree to every token), response
 * wrapping, `sys/tools/hash`, the UI's resultant-ACL path, MFA and control groups (none exist
 * here), and the pre-0.9 `sys/renew` alias.
 */

/** Name of the policy every non-root token carries unless created without it. */
export const DEFAULT_POLICY_NAME = 'default';

/** Name of the policy that allows everything; it is never stored and never parsed. */
export const ROOT_POLICY_NAME = 'root';

/** The text of the built-in `default` policy (used until an operator writes `default`). */
export const DEFAULT_POLICY_TEXT = `# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
  capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
  capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
  capabilities = ["update"]
}

# Allow a token to look up its own entity by id or name
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}

# Allow a token to renew a lease via lease_id in the request body
path "sys/leases/renew" {
  capabilities = ["update"]
}

# Allow looking up lease properties. This requires knowing the lease ID ahead
# of time and does not divulge any sensitive information.
path "sys/leases/lookup" {
  capabilities = ["update"]
}
`;
