/**
 * IAM principal ARNs as GetCallerIdentity reports them, and matching them against a role's
 * `bound_iam_principal_arn`, as Vault does:
 *
 * - an IAM user, `arn:aws:iam::123456789012:user/path/to/alice`;
 * - an assumed role, `arn:aws:sts::123456789012:assumed-role/deploy/session-1`, which
 *   stands for the IAM role `arn:aws:iam::123456789012:role/deploy`.
 *
 * The canonical ARN drops the path (`…:user/alice`, `…:role/deploy`); exact bindings are
 * compared with it. Bindings ending in `*` are prefix globs over the full ARN, path
 * included. STS does not report an assumed role's path, so for assumed roles the full
 * ARN is the canonical one: a path glob (`…:role/team/*`) never matches an assumed role,
 * while a name glob (`…:role/deploy-*`) matches roles by name, whatever their path (IAM
 * role names are unique within an account, path or not). Vault resolves the path with
 * IAM's GetRole instead; Keygate makes no IAM calls.
 */

import { globMatch } from '../glob.js';

/** The principal kinds a login may be: an IAM user, or an IAM role through an STS session. */
export type PrincipalType = 'user' | 'assumed-role';

/** A parsed principal ARN. */
export interface IamPrincipal {
  partition: string;
  account: string;
  type: PrincipalType;
  /** User or role name. */
  name: string;
  /** The IAM path between the type and the name, without slashes at the ends; `''` for none or unknown. */
  path: string;
  /** `arn:<partition>:iam::<account>:user/<name>` or `…:role/<name>`. */
  canonicalArn: string;
  /** With the path when known (users); the canonical ARN for assumed roles. */
  fullArn: string;
}

/** Longest ARN considered; IAM ARNs are far shorter. */
export const MAX_ARN_LENGTH = 2048;

const PARTITION = /^aws(-[a-z]+){0,3}$/;
const ACCOUNT = /^[0-9]{12}$/;
/** IAM user and role names. */
const NAME = /^[\w+=,.@-]{1,128}$/;
/** STS role session names. */
const SESSION = /^[\w+=,.@-]{2,64}$/;
/** One path segment: printable ASCII without `/`. */
const PATH_SEGMENT = /^[\x21-\x2e\x30-\x7e]{1,512}$/;

/** Parses a principal ARN from GetCallerIdentity; null for anything but an IAM user or an assumed role. */
export function parsePrincipalArn(arn: string): IamPrincipal | null {
  if (arn.length > MAX_ARN_LENGTH) return null;
  const parts = arn.split(':');
  if (parts.length !== 6) return null;
  const [prefix, partition = '', service = '', region = '', account = '', resource = ''] = parts;
  if (prefix !== 'arn' || !PARTITION.test(partition) || region !== '' || !ACCOUNT.test(account)) return null;
  const segments = resource.split('/');
  const type = segments[0];
  if (type === 'user' && service === 'iam' && segments.length >= 2) {
    const name = segments[segments.length - 1] ?? '';
    const pathSegments = segments.slice(1, -1);
    if (!NAME.test(name) || !pathSegments.every((s) => PATH_SEGMENT.test(s))) return null;
    const path = pathSegments.join('/');
    const base = `arn:${partition}:iam::${account}:user/`;
    return {
      partition,
      account,
      type: 'user',
      name,
      path,
      canonicalArn: `${base}${name}`,
      fullArn: `${base}${path === '' ? '' : `${path}/`}${name}`,
    };
  }
  if (type === 'assumed-role' && service === 'sts' && segments.length === 3) {
    const name = segments[1] ?? '';
    const session = segments[2] ?? '';
    if (!NAME.test(name) || !SESSION.test(session)) return null;
    const canonicalArn = `arn:${partition}:iam::${account}:role/${name}`;
    return { partition, account, type: 'assumed-role', name, path: '', canonicalArn, fullArn: canonicalArn };
  }
  return null;
}

/**
 * Whether a `bound_iam_principal_arn` entry admits `principal`: a trailing `*` makes it a
 * prefix glob over the full ARN; otherwise it must equal the canonical ARN exactly.
 */
export function boundArnMatches(bound: string, principal: IamPrincipal): boolean {
  if (bound.endsWith('*')) return globMatch(bound, principal.fullArn);
  return bound === principal.canonicalArn;
}

/** Whether `text` is an acceptable binding: an ARN, with `*` at most once and only at the end. */
export function isBoundArnPattern(text: string): boolean {
  if (text.length > MAX_ARN_LENGTH || !text.startsWith('arn:') || !/^[\x21-\x7e]+$/.test(text)) return false;
  const star = text.indexOf('*');
  return star === -1 || star === text.length - 1;
}
