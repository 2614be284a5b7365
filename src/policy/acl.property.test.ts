import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../core/index.js';
import { compileAcl } from './acl.js';
import { parsePolicy } from './parse.js';
import type { Acl, Policy, RequestCapability } from './types.js';

/**
 * Properties of the merge and the priority order, over policies drawn from a tiny alphabet
 * so that patterns overlap often.
 */

const SEGMENTS = ['a', 'b', 'c'] as const;
const GRANTS = ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo'] as const;
const REQUESTS: readonly RequestCapability[] = ['create', 'read', 'update', 'patch', 'delete', 'list'];

const patternArb = fc
  .tuple(fc.array(fc.constantFrom(...SEGMENTS, '+'), { minLength: 1, maxLength: 4 }), fc.constantFrom('', '*', '/*'))
  .map(([parts, suffix]) => {
    const body = parts.join('/');
    // `+*` is not a valid pattern; a glob after a `+` segment starts a new segment.
    return body.endsWith('+') && suffix === '*' ? `${body}/*` : body + suffix;
  });

interface RuleSpec {
  pattern: string;
  caps: readonly string[];
  required: boolean;
}

const grantsArb: fc.Arbitrary<readonly string[]> = fc.subarray([...GRANTS]);
const denyArb: fc.Arbitrary<readonly string[]> = fc.constant(['deny']);
const ruleArb = (opts: { deny: boolean; constraints: boolean }): fc.Arbitrary<RuleSpec> =>
  fc.record({
    pattern: patternArb,
    caps: opts.deny ? fc.oneof({ weight: 4, arbitrary: grantsArb }, { weight: 1, arbitrary: denyArb }) : grantsArb,
    required: opts.constraints ? fc.boolean() : fc.constant(false),
  });

function policyText(rules: readonly RuleSpec[]): string {
  return rules
    .map((r) => {
      const caps = r.caps.map((c) => `"${c}"`).join(', ');
      const required = r.required ? '\n  required_parameters = ["x"]' : '';
      return `path "${r.pattern}" {\n  capabilities = [${caps}]${required}\n}`;
    })
    .join('\n');
}

const policiesArb = fc.array(fc.array(ruleArb({ deny: true, constraints: true }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 });
const grantOnlyArb = fc.array(ruleArb({ deny: false, constraints: false }), { minLength: 1, maxLength: 4 });

const pathArb = fc
  .tuple(fc.array(fc.constantFrom(...SEGMENTS, 'ab'), { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([parts, folder]) => parts.join('/') + (folder ? '/' : ''));
const bodies: JsonObject[] = [{}, { x: 1 }, { y: 'z' }];
const dataArb: fc.Arbitrary<JsonObject> = fc.constantFrom(...bodies);

function build(specs: readonly (readonly RuleSpec[])[]): { policies: Policy[]; acl: Acl } {
  const policies = specs.map((rules, i) => parsePolicy(`p${i}`, policyText(rules)));
  return { policies, acl: compileAcl(policies) };
}

function patternsOf(specs: readonly (readonly RuleSpec[])[]): Set<string> {
  return new Set(specs.flatMap((rules) => rules.map((r) => r.pattern)));
}

describe('ACL properties', () => {
  it('(a) deny always wins within a pattern: denying the deciding pattern denies the request', () => {
    fc.assert(
      fc.property(policiesArb, pathArb, fc.constantFrom(...REQUESTS), dataArb, (specs, path, capability, data) => {
        const { policies, acl } = build(specs);
        const before = acl.allowed(path, capability, data);
        if (before.matched === null) return; // default deny already
        const withDeny = compileAcl([...policies, parsePolicy('deny', `path "${before.matched}" { capabilities = ["deny"] }`)]);
        const after = withDeny.allowed(path, capability, data);
        expect(after.allowed).toBe(false);
        expect(after.matched).toBe(before.matched);
        expect(withDeny.allowedWithSudo(path, capability, data).allowed).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('(b) as first stated is false: adding a grant-only policy can remove access (fast-check finds a case)', () => {
    const naive = fc.property(policiesArb, grantOnlyArb, pathArb, fc.constantFrom(...REQUESTS), (specs, added, path, capability) => {
      const { acl } = build(specs);
      const { acl: after } = build([...specs, added]);
      return !acl.allowed(path, capability).allowed || after.allowed(path, capability).allowed;
    });
    const outcome = fc.check(naive, { numRuns: 5000, seed: 42 });
    expect(outcome.failed).toBe(true);
  });

  it('(b) the smallest counterexample: a more specific grant shadows a broader one', () => {
    const base = parsePolicy('base', 'path "secret/*" { capabilities = ["read", "update"] }');
    const added = parsePolicy('added', 'path "secret/app" { capabilities = ["read"] }');
    expect(compileAcl([base]).allowed('secret/app', 'update').allowed).toBe(true);
    expect(compileAcl([base, added]).allowed('secret/app', 'update').allowed).toBe(false);
    // The same happens with `+` and with a longer glob:
    const plus = parsePolicy('plus', 'path "secret/+" { capabilities = ["read"] }');
    expect(compileAcl([base, plus]).allowed('secret/app', 'update').allowed).toBe(false);
  });

  it('(b1) adding grants (no deny, no constraints) to patterns that already exist never removes access', () => {
    fc.assert(
      fc.property(
        policiesArb,
        fc.array(fc.tuple(fc.nat(), grantsArb), { minLength: 1, maxLength: 4 }),
        pathArb,
        fc.constantFrom(...REQUESTS),
        dataArb,
        fc.boolean(),
        (specs, picks, path, capability, data, sudo) => {
          const existing = [...patternsOf(specs)];
          const added: RuleSpec[] = picks.map(([i, caps]) => ({ pattern: existing[i % existing.length] ?? 'a', caps, required: false }));
          const { acl } = build(specs);
          const { acl: after } = build([...specs, added]);
          const check = (a: Acl): boolean => (sudo ? a.allowedWithSudo(path, capability, data) : a.allowed(path, capability, data)).allowed;
          if (check(acl)) expect(check(after)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('(b2) a grant-only policy removes access only where one of its new patterns becomes the deciding rule', () => {
    fc.assert(
      fc.property(policiesArb, grantOnlyArb, pathArb, fc.constantFrom(...REQUESTS), dataArb, (specs, added, path, capability, data) => {
        const { acl } = build(specs);
        const { acl: after } = build([...specs, added]);
        const before = acl.allowed(path, capability, data);
        const now = after.allowed(path, capability, data);
        if (before.allowed && !now.allowed) {
          const old = patternsOf(specs);
          expect(now.matched).not.toBeNull();
          expect(old.has(now.matched ?? '')).toBe(false);
          expect(added.some((r) => r.pattern === now.matched)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('(c) merging is order-independent: the same policies in any order decide alike', () => {
    fc.assert(
      fc.property(policiesArb, pathArb, fc.constantFrom(...REQUESTS), dataArb, (specs, path, capability, data) => {
        const forward = build(specs).acl;
        const backward = build([...specs].reverse()).acl;
        expect(backward.allowed(path, capability, data).allowed).toBe(forward.allowed(path, capability, data).allowed);
        expect(backward.capabilities(path)).toEqual(forward.capabilities(path));
      }),
      { numRuns: 1000 },
    );
  });

  it('(d) the deciding pattern is the one an independent reading of Vault\'s rules picks', () => {
    fc.assert(
      fc.property(policiesArb, pathArb, fc.constantFrom(...REQUESTS), (specs, path, capability) => {
        const { acl } = build(specs);
        expect(acl.allowed(path, capability).matched).toBe(referenceMatch([...patternsOf(specs)], path, capability === 'list'));
      }),
      { numRuns: 3000 },
    );
  });
});

/**
 * A deliberately naive re-statement of Vault's matching for the tests: every pattern as a
 * regular expression, candidates ranked by the documented tuple. Shares no code with acl.ts.
 */
function referenceMatch(patterns: readonly string[], requestPath: string, list: boolean): string | null {
  const path = list && requestPath !== '' && !requestPath.endsWith('/') ? `${requestPath}/` : requestPath;
  const segmented = (p: string): boolean => p === '+' || p.includes('/+') || p.startsWith('+/');
  const exact = patterns.filter((p) => !segmented(p) && !p.endsWith('*'));
  const others = patterns.filter((p) => segmented(p) || p.endsWith('*'));
  const regex = (p: string): RegExp => {
    const glob = p.endsWith('*');
    const body = (glob ? p.slice(0, -1) : p)
      .split('/')
      .map((part) => (part === '+' ? '[^/]*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    return new RegExp(`^${body}${glob ? '.*' : ''}$`);
  };
  const rank = (p: string): [number, number, number, number, string] => {
    const glob = p.endsWith('*');
    const wc = glob ? p.slice(0, -1) : p;
    const first = segmented(p) ? p.indexOf('+') : wc.length;
    const plus = wc.split('/').filter((s) => s === '+').length;
    // Larger tuple = higher priority.
    return [first, glob ? 0 : 1, -plus, wc.length, wc];
  };
  const better = (a: string, b: string): boolean => {
    const [ra, rb] = [rank(a), rank(b)];
    for (let i = 0; i < 4; i++) if (ra[i] !== rb[i]) return (ra[i] as number) > (rb[i] as number);
    return ra[4] > rb[4];
  };
  const best = (target: string): string | null => {
    let winner: string | null = null;
    for (const p of others) if (regex(p).test(target) && (winner === null || better(p, winner))) winner = p;
    return winner;
  };
  if (exact.includes(path)) return path;
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  if (list && exact.includes(trimmed)) return trimmed;
  if (list && trimmed !== path) {
    const byFolder = best(trimmed);
    if (byFolder !== null) return byFolder;
  }
  return best(path);
}
