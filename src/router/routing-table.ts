import type { Engine, MountCachePolicy, MountRef } from '../core/index.js';

/** A mount in the table: where it is, what it is, the backend that serves it, and the gateway's per-mount settings. */
export interface Route {
  mount: MountRef;
  engine: Engine;
  /** Read cache settings (absent: no caching). */
  cache?: MountCachePolicy;
}

/** The result of routing a logical path. */
export interface RouteMatch extends Route {
  /** The logical path with the mount prefix removed; `""` addresses the mount's root. */
  relativePath: string;
}

/** An immutable routing table: replace it whole when mounts change, so a request sees one consistent table. */
export interface RoutingTable {
  /**
   * The mount owning `path` (canonical, no leading or trailing slash) by longest prefix at
   * segment boundaries; the `""` mount is the default route. Null when nothing matches.
   * `path` equal to a mount's prefix without its slash (`kv` for `kv/`) routes to that mount's root.
   * The match is frozen, and may be the same object for the same path.
   */
  match(path: string): RouteMatch | null;
  /** Every route, sorted by mount path. */
  routes(): readonly Route[];
}

/**
 * Builds a routing table. Throws on duplicate mount paths or a path that is neither `""`
 * nor slash-terminated (callers validate user input before this; this is the last guard).
 */
export function createRoutingTable(routes: readonly Route[]): RoutingTable {
  const byPath = new Map<string, Route>();
  for (const route of routes) {
    const p = route.mount.path;
    if (p !== '' && !p.endsWith('/')) throw new Error(`mount path must be "" or end in "/": ${p}`);
    if (byPath.has(p)) throw new Error(`duplicate mount path: ${p}`);
    byPath.set(p, route);
  }
  const sorted = [...byPath.values()].sort((a, b) => (a.mount.path < b.mount.path ? -1 : 1));

  const lookup = (path: string): RouteMatch | null => {
    // Candidate prefixes, longest first: "a/b/c/", "a/b/", "a/", "". O(segments) map lookups.
    let end = path.length;
    for (;;) {
      const candidate = end === path.length ? (path === '' ? '' : `${path}/`) : path.slice(0, end + 1);
      const route = byPath.get(candidate);
      if (route !== undefined) return matched(route, candidate.length >= path.length ? '' : path.slice(candidate.length));
      if (candidate === '') return null;
      end = path.lastIndexOf('/', end - 1);
      if (end === -1) {
        const root = byPath.get('');
        return root === undefined ? null : matched(root, path);
      }
    }
  };

  // The table never changes, so a path's match never does: the paths asked most (reads
  // outnumber writes a thousandfold, on few paths) are answered from memory, at most
  // MATCH_MEMO_MAX of them, the memo starting over when full. Matches are frozen: shared.
  const memo = new Map<string, RouteMatch | null>();

  return {
    match(path) {
      const known = memo.get(path);
      if (known !== undefined) return known;
      const found = lookup(path);
      if (path.length <= MATCH_MEMO_MAX_PATH) {
        if (memo.size >= MATCH_MEMO_MAX) memo.clear();
        memo.set(path, found);
      }
      return found;
    },
    routes: () => sorted,
  };
}

/** Paths whose match is remembered per table, at most. */
const MATCH_MEMO_MAX = 4096;
/** Longer paths are matched afresh each time (the memo's memory stays bounded: about 4 MB at most). */
const MATCH_MEMO_MAX_PATH = 512;

/** A match built field by field (a spread of the route was a tenth of a cached read's routing cost), frozen: it is shared. */
function matched(route: Route, relativePath: string): RouteMatch {
  const match: RouteMatch = { mount: route.mount, engine: route.engine, relativePath };
  if (route.cache !== undefined) match.cache = route.cache;
  return Object.freeze(match);
}
