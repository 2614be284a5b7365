/**
 * The subset of Secret Manager's list filter language the double understands
 * (https://cloud.google.com/secret-manager/docs/filtering): terms joined by `AND`, each one of
 *
 * - `name:TEXT`: the secret id contains TEXT (`*` matches any run of characters); TEXT may be
 *   double-quoted. Google documents it as a substring match ("Secrets whose name contains
 *   the mysecret substring: name:mysecret"); the double matches it against the secret id.
 * - `labels.KEY=VALUE` (exact) and `labels.KEY:*` (present);
 * - `state:ENABLED|DISABLED|DESTROYED` (versions only).
 *
 * Anything else (OR, NOT, comparisons, regexes, other fields) is refused with INVALID_ARGUMENT,
 * so a test can never silently rely on filtering the double does not do.
 */

import { RpcError } from './status.js';

/** What a filter can look at: a secret, or a version (with its secret's id and labels). */
export interface Filterable {
  /** The secret id (for versions: the secret's). */
  id: string;
  labels: Record<string, string>;
  state?: string;
}

/** A compiled filter. */
export type Predicate = (item: Filterable) => boolean;

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function unquote(text: string): string {
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) return text.slice(1, -1);
  return text;
}

/** Compiles `filter` for secrets (`kind: 'secret'`) or versions; throws INVALID_ARGUMENT for anything unsupported. */
export function compileFilter(filter: string, kind: 'secret' | 'version'): Predicate {
  const text = filter.trim();
  if (text === '') return () => true;
  const terms = text.split(/\s+AND\s+/);
  const predicates: Predicate[] = terms.map((term): Predicate => {
    let m = /^name:("[^"]*"|[A-Za-z0-9_*-]+)$/.exec(term);
    if (m !== null && kind === 'secret') {
      const pattern = unquote(m[1] ?? '');
      const regex = new RegExp(pattern.split('*').map(escapeRegex).join('.*'));
      return (item) => regex.test(item.id);
    }
    m = /^labels\.([a-z][a-z0-9_-]{0,62})=("[^"]*"|[a-z0-9_-]*)$/.exec(term);
    if (m !== null && kind === 'secret') {
      const key = m[1] ?? '';
      const value = unquote(m[2] ?? '');
      return (item) => item.labels[key] === value;
    }
    m = /^labels\.([a-z][a-z0-9_-]{0,62}):\*$/.exec(term);
    if (m !== null && kind === 'secret') {
      const key = m[1] ?? '';
      return (item) => key in item.labels;
    }
    m = /^state:(ENABLED|DISABLED|DESTROYED)$/.exec(term);
    if (m !== null && kind === 'version') {
      const state = m[1];
      return (item) => item.state === state;
    }
    throw new RpcError('INVALID_ARGUMENT', `The filter term is not supported: ${term}`);
  });
  return (item) => predicates.every((p) => p(item));
}
