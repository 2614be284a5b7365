/**
 * Service-account identities: parsed from a TokenReview's `system:serviceaccount:<ns>:<name>`
 * username or from token claims (the projected-token `kubernetes.io` object, or the legacy
 * `kubernetes.io/serviceaccount/*` claims), validated as Kubernetes names (lower case, so
 * `Default` is no namespace at all), and matched against a role's bindings.
 */

import { globMatch } from '../glob.js';

/** A Kubernetes service account. */
export interface ServiceAccount {
  namespace: string;
  name: string;
  /** The object's uid; empty when the source did not say. */
  uid: string;
}

/** A namespace: an RFC 1123 DNS label. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A service-account name: an RFC 1123 DNS subdomain. */
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
/** A uid: UUID-like, bounded. */
const UID = /^[A-Za-z0-9-]{0,128}$/;

const USERNAME_PREFIX = 'system:serviceaccount:';

function account(namespace: unknown, name: unknown, uid: unknown): ServiceAccount | null {
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) return null;
  if (typeof name !== 'string' || !NAME.test(name)) return null;
  const id = uid === undefined ? '' : uid;
  if (typeof id !== 'string' || !UID.test(id)) return null;
  return { namespace, name, uid: id };
}

/** The service account a TokenReview username and uid name, or null for any other user. */
export function serviceAccountFromUsername(username: unknown, uid: unknown): ServiceAccount | null {
  if (typeof username !== 'string' || username.length > 512 || !username.startsWith(USERNAME_PREFIX)) return null;
  const parts = username.slice(USERNAME_PREFIX.length).split(':');
  if (parts.length !== 2) return null;
  return account(parts[0], parts[1], uid);
}

function member(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, key) ? Reflect.get(value, key) : undefined;
}

/**
 * The service account a token's claims name, or null when they name none, name it badly,
 * or disagree with `sub` (which, when present, must be `system:serviceaccount:<ns>:<name>`).
 */
export function serviceAccountFromClaims(claims: Readonly<Record<string, unknown>>): ServiceAccount | null {
  const projected = member(claims, 'kubernetes.io');
  const found =
    projected !== undefined
      ? account(member(projected, 'namespace'), member(member(projected, 'serviceaccount'), 'name'), member(member(projected, 'serviceaccount'), 'uid'))
      : account(
          member(claims, 'kubernetes.io/serviceaccount/namespace'),
          member(claims, 'kubernetes.io/serviceaccount/service-account.name'),
          member(claims, 'kubernetes.io/serviceaccount/service-account.uid'),
        );
  if (found === null) return null;
  const sub = member(claims, 'sub');
  if (sub !== undefined && sub !== `${USERNAME_PREFIX}${found.namespace}:${found.name}`) return null;
  return found;
}

/** Whether `value` matches one of `patterns` (`*` alone, or globs with `*`). */
export function boundBy(patterns: readonly string[], value: string): boolean {
  return patterns.some((pattern) => globMatch(pattern, value));
}
