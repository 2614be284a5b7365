/**
 * Check-and-set for writes. Every condition is a predicate on the secret's current version
 * (0 when it has none): `cas=n` holds when it equals n; `If-Match: "n"` when it is one of
 * the listed tags; `If-Match: *` when it is not 0; `If-None-Match: *` when it is 0;
 * `If-None-Match: "n"` when it is none of the listed tags. Entity tags are version numbers,
 * so a tag that is not one (a weak `W/"3"`, `"abc"`) never matches, as RFC 9110 asks for
 * If-Match's strong comparison.
 */

import { GatewayError, PreconditionFailedError, ValidationError } from '../../core/index.js';
import type { Preconditions } from '../../core/index.js';

const VERSION_TAG = /^[1-9][0-9]{0,15}$/;

/** What a write asked for: a `cas` query option and the request's conditional headers. */
export interface WriteConditions {
  cas: number | undefined;
  preconditions: Preconditions;
}

function tags(list: readonly string[] | undefined): readonly string[] | null {
  return list === undefined || list.length === 0 ? null : list;
}

function matchesTag(list: readonly string[], current: number): boolean {
  return list.some((tag) => VERSION_TAG.test(tag) && Number(tag) === current);
}

/** Whether the entity-tag conditions hold for a secret whose current version is `current`. */
function etagsHold(ifMatch: readonly string[] | null, ifNoneMatch: readonly string[] | null, current: number): boolean {
  if (ifMatch !== null && !(ifMatch.includes('*') ? current > 0 : matchesTag(ifMatch, current))) return false;
  if (ifNoneMatch !== null && (ifNoneMatch.includes('*') ? current > 0 : matchesTag(ifNoneMatch, current))) return false;
  return true;
}

/**
 * Checks the write conditions against `current`. Throws `ERR_PRECONDITION_REQUIRED` (428)
 * when `casRequired` and none is given, `ValidationError` when `cas` and the entity tags
 * contradict each other, and `PreconditionFailedError` (412) when a condition does not hold.
 */
export function checkWriteConditions(conditions: WriteConditions, current: number, casRequired: boolean): void {
  const { cas } = conditions;
  const ifMatch = tags(conditions.preconditions.ifMatch);
  const ifNoneMatch = tags(conditions.preconditions.ifNoneMatch);
  const etags = ifMatch !== null || ifNoneMatch !== null;
  if (casRequired && cas === undefined && !etags) {
    throw new GatewayError(
      'ERR_PRECONDITION_REQUIRED',
      'this secret requires check-and-set: pass cas=<current version> (or If-Match), or cas=0 (or If-None-Match: *) to create it',
    );
  }
  // cas=n can only hold when the current version is n, so it contradicts the tags exactly
  // when the tags would fail for n.
  if (cas !== undefined && etags && !etagsHold(ifMatch, ifNoneMatch, cas)) {
    throw new ValidationError('cas disagrees with the If-Match/If-None-Match precondition', [
      { field: 'cas', reason: 'disagrees with the If-Match/If-None-Match precondition' },
    ]);
  }
  if (cas !== undefined && cas !== current) {
    throw new PreconditionFailedError(
      cas === 0
        ? 'check-and-set failed: cas=0 requires that the secret has no current version'
        : `check-and-set failed: cas=${cas} does not match the current version (${current})`,
    );
  }
  if (etags && !etagsHold(ifMatch, ifNoneMatch, current)) {
    throw new PreconditionFailedError('precondition failed: the current version does not satisfy If-Match/If-None-Match');
  }
}

/** Refuses conditional headers on an operation that cannot honour them (silently ignoring them would be worse). */
export function refuseConditions(preconditions: Preconditions): void {
  if (tags(preconditions.ifMatch) !== null || tags(preconditions.ifNoneMatch) !== null) {
    throw new ValidationError('this operation does not support If-Match/If-None-Match', [
      { field: 'preconditions', reason: 'If-Match/If-None-Match is not supported by this operation' },
    ]);
  }
}
