/** Token records and the token store's contract. */

/** A token as stored (behind the barrier). The token itself is never stored: `id` is its keyed hash. */
export interface TokenRecord {
  v: 1;
  /** HMAC-SHA256 of the token under the store's key, hex: the storage key. */
  id: string;
  /** Public handle: lookup and revoke without knowing the token. */
  accessor: string;
  policies: string[];
  meta: Record<string, string>;
  display_name: string;
  /** Identity entity id, or `""`. */
  entity_id: string;
  /** Parent token's accessor, or `""` for orphans. */
  parent: string;
  /** Where the token was created: `auth/token/create`, `auth/approle/login`, … */
  path: string;
  /** Accessor of the auth mount that issued it, or `""` for the token store itself. */
  mount_accessor: string;
  created_at: number;
  /** The TTL asked for at creation, ms (0: none, for root tokens). */
  ttl_ms: number;
  explicit_max_ttl_ms: number;
  /** Periodic tokens renew by this much, with no maximum. */
  period_ms: number;
  /** Expiry, ms since the epoch; 0 never expires. */
  expires_at: number;
  /** The latest expiry renewals may reach; 0 for none (periodic and root tokens). */
  max_expires_at: number;
  /** Uses left; 0 means unlimited. */
  num_uses: number;
  bound_cidrs: string[];
  renewable: boolean;
}

export interface CreateTokenInput {
  policies: readonly string[];
  meta?: Readonly<Record<string, string>>;
  displayName: string;
  entityId?: string;
  /** The parent token; absent (or `orphan`) makes an orphan token. */
  parent?: TokenRecord | null;
  path: string;
  mountAccessor?: string;
  /** 0 or absent: the system default (the root token passes `neverExpires`). */
  ttlMs?: number;
  explicitMaxTtlMs?: number;
  periodMs?: number;
  numUses?: number;
  boundCidrs?: readonly string[];
  renewable?: boolean;
  /** Only for the root token: no expiry at all. */
  neverExpires?: boolean;
}

export interface TokenSettings {
  /** TTL of tokens that ask for none (Vault: 768h). */
  defaultTtlMs: number;
  /** Longest any token lives without renewal-by-period (Vault: 768h). */
  maxTtlMs: number;
}
