/**
 * The policy authorizer: a principal's policies, rendered for its entity, compiled into an
 * ACL (cached), and asked about one path and capability. Denials say "permission denied" and
 * nothing else: not which rule, not why.
 */

import { PermissionDeniedError } from '../core/index.js';
import type { JsonObject, Principal } from '../core/index.js';
import { compileAcl } from './acl.js';
import { ROOT_POLICY_NAME } from './default-policy.js';
import { LRUCache } from 'lru-cache';
import type { PolicyStore } from './store.js';
import { renderPolicy, templateInputsKey } from './template.js';
import type { Acl, Capability, Policy, RequestCapability } from './types.js';

/** What `capabilities` reports for one path: the granted capabilities, or `['root']` for a root token. */
export type CapabilityList = Capability[] | ['root'];

export interface AuthorizeOptions {
  /** The path is root-protected: the deciding rule must also grant `sudo`. */
  sudo?: boolean;
  /** The request body, checked against parameter constraints (top-level keys and values). */
  data?: JsonObject;
}

export interface PolicyAuthorizer {
  /**
   * Resolves when `principal` may use `capability` on the policy `path` (no leading slash; see
   * `policyRequestFor`); throws `PermissionDeniedError` (`ERR_PERMISSION_DENIED`, message
   * "permission denied") when not. Storage failures and unreadable stored policies propagate
   * (`ERR_INTERNAL`, `ERR_STORAGE_UNAVAILABLE`): it never allows on error.
   */
  authorize(principal: Principal, path: string, capability: RequestCapability, opts?: AuthorizeOptions): Promise<void>;
  /** For `sys/capabilities-self`: per path, the capabilities `principal` has there, `['deny']` for none, `['root']` for a root token. */
  capabilities(principal: Principal, paths: readonly string[]): Promise<Record<string, CapabilityList>>;
}

export interface PolicyAuthorizerDeps {
  /** `peek` (optional) lets a request whose policies are all cached be decided without awaiting storage. */
  store: Pick<PolicyStore, 'get'> & Partial<Pick<PolicyStore, 'peek'>>;
  /** Most compiled ACLs held (default 1000), least recently used evicted first. */
  maxCachedAcls?: number;
}

/** A principal's policy list normalised once: lower-cased, deduplicated, sorted. */
interface PolicySet {
  /** A copy of the list it was made from: a reused array is checked element by element, never trusted blindly. */
  readonly source: readonly string[];
  readonly names: readonly string[];
  /** The ACL cache key when no member is templated. */
  readonly key: string;
  /**
   * The ACL last compiled or found for this set, the members it came from, and the entity a
   * templated member was rendered for: while the store still holds exactly those members
   * (and, when templated, the principal carries that same entity object: entities are
   * replaced on change, never edited), it is the answer without building a cache key (the
   * hot path of every request a token makes; the built-in `default` policy is templated).
   */
  last: LastAcl | null;
}

interface LastAcl extends CachedAcl {
  readonly templated: boolean;
  readonly entity: Principal['entity'];
}

interface CachedAcl {
  /** The policies it was compiled from, by identity: any change means a recompile. */
  readonly members: readonly (Policy | null)[];
  readonly acl: Acl;
}

/**
 * `root` alone: everything. `root` beside other policies: refused, as Vault refuses to build
 * such an ACL (only root tokens carry `root`, and nothing else).
 */
function rootStatus(principal: Principal): 'root' | 'mixed' | 'none' {
  if (!principal.policies.includes(ROOT_POLICY_NAME)) return 'none';
  return principal.policies.every((p) => p === ROOT_POLICY_NAME) ? 'root' : 'mixed';
}

/**
 * Creates the authorizer over a policy store. Policies a principal names that do not exist
 * are ignored (Vault). Compiled ACLs are cached per sorted policy set (plus the entity's
 * template inputs when a member is templated) and recompiled as soon as `store.get` returns a
 * different object for any member, i.e. at once for local writes and within the store's
 * staleness bound for other replicas' writes.
 */
export function createPolicyAuthorizer(deps: PolicyAuthorizerDeps): PolicyAuthorizer {
  const { store } = deps;
  const cache = new LRUCache<string, CachedAcl>({ max: deps.maxCachedAcls ?? 1000 });
  // Keyed by the principal's policies array: a token's cached record hands the same array to
  // every request, so the sort and the key are computed once per token, not per request.
  const sets = new WeakMap<readonly string[], PolicySet>();

  const policySet = (policies: readonly string[]): PolicySet => {
    const known = sets.get(policies);
    if (known !== undefined && known.source.length === policies.length && known.source.every((p, i) => p === policies[i])) return known;
    // Vault's policy names are case-insensitive: they are stored lower-case.
    const names = [...new Set(policies.map((p) => p.toLowerCase()))].sort();
    const set: PolicySet = { source: [...policies], names, key: JSON.stringify([names, null]), last: null };
    sets.set(policies, set);
    return set;
  };

  /** Every member from the store's cache, or undefined when any must be read (or the store cannot peek). */
  const peekAll = (names: readonly string[]): (Policy | null)[] | undefined => {
    if (store.peek === undefined) return undefined;
    const members: (Policy | null)[] = [];
    for (const name of names) {
      const policy = store.peek(name);
      if (policy === undefined) return undefined;
      members.push(policy);
    }
    return members;
  };

  const fromMembers = (principal: Principal, set: PolicySet, members: readonly (Policy | null)[]): Acl => {
    const templated = members.some((p) => p?.templated === true);
    const key = templated ? JSON.stringify([set.names, templateInputsKey(principal.entity)]) : set.key;
    let cached = cache.get(key);
    if (cached === undefined || cached.members.length !== members.length || !cached.members.every((m, i) => m === members[i])) {
      const rendered: Policy[] = [];
      for (const policy of members) if (policy !== null) rendered.push(renderPolicy(policy, principal.entity));
      cached = { members: [...members], acl: compileAcl(rendered) };
      cache.set(key, cached);
    }
    set.last = { members: cached.members, acl: cached.acl, templated, entity: principal.entity };
    return cached.acl;
  };

  /** True when the store's cache holds, fresh, exactly the members `last` was compiled from, for this entity if it was templated. */
  const stillCurrent = (principal: Principal, names: readonly string[], last: LastAcl): boolean => {
    if (store.peek === undefined || last.members.length !== names.length) return false;
    if (last.templated && last.entity !== principal.entity) return false;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      if (name === undefined || store.peek(name) !== last.members[i]) return false;
    }
    return true;
  };

  /** The compiled ACL: synchronously when every member policy is cached and fresh (the hot path). */
  const aclFor = (principal: Principal): Acl | Promise<Acl> => {
    const set = policySet(principal.policies);
    const last = set.last;
    if (last !== null && stillCurrent(principal, set.names, last)) return last.acl;
    const peeked = peekAll(set.names);
    if (peeked !== undefined) return fromMembers(principal, set, peeked);
    return Promise.all(set.names.map((name) => store.get(name))).then((members) => fromMembers(principal, set, members));
  };

  return {
    async authorize(principal, path, capability, opts = {}) {
      const status = rootStatus(principal);
      if (status === 'root') return;
      if (status === 'mixed') throw new PermissionDeniedError();
      const acl = await aclFor(principal);
      const decision = opts.sudo === true ? acl.allowedWithSudo(path, capability, opts.data) : acl.allowed(path, capability, opts.data);
      if (!decision.allowed) throw new PermissionDeniedError();
    },

    async capabilities(principal, paths) {
      const status = rootStatus(principal);
      const out: [string, CapabilityList][] = [];
      if (status !== 'none') {
        for (const path of paths) out.push([path, status === 'root' ? ['root'] : ['deny']]);
        return Object.fromEntries(out);
      }
      const acl = await aclFor(principal);
      for (const path of paths) out.push([path, acl.capabilities(path)]);
      return Object.fromEntries(out);
    },
  };
}
