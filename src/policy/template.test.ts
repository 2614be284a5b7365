import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileAcl } from './acl.js';
import { parsePolicy } from './parse.js';
import { isSafeTemplateValue, renderPattern, renderPolicy, templateInputsKey } from './template.js';
import type { TemplateEntity } from './template.js';
import type { RequestCapability } from './types.js';

const entity = (over: Partial<TemplateEntity> = {}): TemplateEntity => ({
  id: 'ent-1',
  name: 'alice',
  metadata: { team: 'blue' },
  aliases: [{ mountAccessor: 'auth_jwt_9f', name: 'alice@example.com' }],
  ...over,
});

const TEMPLATED = `
path "secret/users/{{identity.entity.name}}/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "secret/teams/{{identity.entity.metadata.team}}" { capabilities = ["read"] }
path "secret/ids/{{ identity.entity.id }}/+" { capabilities = ["read"] }
path "secret/public/*" { capabilities = ["read"] }
`;

/** Paths a hostile value might try to reach. */
const PROBES = [
  'sys/seal',
  'sys/policies/acl/root',
  'secret/users/bob/key',
  'secret/users/key',
  'secret/users/',
  'secret/teams/red',
  'secret/teams/',
  'secret/ids/ent-2/x',
  'secret/other',
  'identity/entity/id/ent-2',
  'auth/token/create',
];
const CAPS: readonly RequestCapability[] = ['create', 'read', 'update', 'delete', 'list', 'patch'];

describe('templated policies', () => {
  it('renders id, name, metadata and alias directives, whitespace inside braces allowed', () => {
    const e = entity({ aliases: [{ mountAccessor: 'auth_jwt_9f', name: 'al', metadata: { env: 'dev' } }] });
    expect(renderPattern('a/{{identity.entity.id}}/b', e)).toBe('a/ent-1/b');
    expect(renderPattern('a/{{ identity.entity.name }}', e)).toBe('a/alice');
    expect(renderPattern('a/{{identity.entity.metadata.team}}-x/*', e)).toBe('a/blue-x/*');
    expect(renderPattern('a/{{identity.entity.aliases.auth_jwt_9f.name}}', e)).toBe('a/al');
    expect(renderPattern('a/{{identity.entity.aliases.auth_jwt_9f.metadata.env}}', e)).toBe('a/dev');
    expect(renderPattern('plain/path', undefined)).toBe('plain/path');
  });

  it('drops a rule whose value is missing: no entity, unknown key, unknown accessor', () => {
    expect(renderPattern('a/{{identity.entity.id}}', undefined)).toBeNull();
    expect(renderPattern('a/{{identity.entity.metadata.nope}}', entity())).toBeNull();
    expect(renderPattern('a/{{identity.entity.aliases.auth_other.name}}', entity())).toBeNull();
    expect(renderPattern('a/{{identity.entity.aliases.auth_jwt_9f.metadata.env}}', entity())).toBeNull();
    // Inherited properties are not metadata.
    expect(renderPattern('a/{{identity.entity.metadata.constructor}}', entity())).toBeNull();
    expect(renderPattern('a/{{identity.entity.metadata.__proto__}}', entity())).toBeNull();
  });

  const HOSTILE: string[] = ['*', 'a/*', '..', '.', '+', 'x/../../sys', 'a/b', '{{identity.entity.id}}', '}', '', 'tab\there', 'nul\u0000', 'c1\u0085', 'back\\slash', 'x'.repeat(10_000)];
  const label = (value: string): string => (value.length > 40 ? `${value.slice(0, 12)}… (${value.length} chars)` : JSON.stringify(value));

  it.each(HOSTILE.map((value): [string, string] => [label(value), value]))('drops the rule for the hostile value %s, granting nothing extra', (_label, value) => {
    const policy = renderPolicy(parsePolicy('t', TEMPLATED), entity({ name: value, id: value, metadata: { team: value } }));
    // Only the non-templated rule survives.
    expect(policy.rules.map((r) => r.path)).toEqual(['secret/public/*']);
    const acl = compileAcl([policy]);
    for (const path of [...PROBES, `secret/users/${value}/x`, `secret/teams/${value}`, `secret/ids/${value}/x`]) {
      for (const cap of CAPS) expect(acl.allowed(path, cap).allowed).toBe(false);
    }
  });

  it('never grants a path outside the principal\'s own subtree, whatever the values (property)', () => {
    const hostileBits = fc.constantFrom('*', '+', '/', '..', '.', '{', '}', '{{', '}}', '\\', '\u0000', '\n', 'sys', 'a', '-', ' ');
    const value = fc.oneof(fc.string({ maxLength: 40 }), fc.array(hostileBits, { maxLength: 8 }).map((bits) => bits.join('')), fc.string({ unit: 'grapheme', maxLength: 20 }));
    fc.assert(
      fc.property(value, value, value, fc.constantFrom(...CAPS), (name, id, team, cap) => {
        const e = entity({ name, id, metadata: { team } });
        const acl = compileAcl([renderPolicy(parsePolicy('t', TEMPLATED), e)]);
        const probes = [...PROBES, `secret/users/${name}/x`, `secret/users/${name}`, `secret/teams/${team}`, `secret/ids/${id}/x`, `secret/ids/${id}/x/y`];
        for (const probe of probes) {
          if (!acl.allowed(probe, cap).allowed) continue;
          // A list request is judged on the folder: the path with its trailing slash.
          const path = cap === 'list' && !probe.endsWith('/') ? `${probe}/` : probe;
          const own =
            (isSafeTemplateValue(name) && path.startsWith(`secret/users/${name}/`)) ||
            (isSafeTemplateValue(team) && path === `secret/teams/${team}`) ||
            (isSafeTemplateValue(id) && path.startsWith(`secret/ids/${id}/`) && !path.slice(`secret/ids/${id}/`.length).includes('/'));
          expect(own || path.startsWith('secret/public/')).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('renders only the pattern: other rules and the policy text stay as they were', () => {
    const policy = parsePolicy('t', TEMPLATED);
    const rendered = renderPolicy(policy, entity());
    expect(rendered.raw).toBe(policy.raw);
    expect(rendered.templated).toBe(false);
    expect(rendered.rules.map((r) => r.path)).toEqual(['secret/users/alice/*', 'secret/teams/blue', 'secret/ids/ent-1/+', 'secret/public/*']);
    const untemplated = parsePolicy('u', 'path "a/*" { capabilities = ["read"] }');
    expect(renderPolicy(untemplated, entity())).toBe(untemplated);
  });

  it('keys the ACL cache by every template input, and by alias order (first match wins)', () => {
    const a = entity();
    expect(templateInputsKey(a)).toBe(templateInputsKey(entity()));
    expect(templateInputsKey(a)).not.toBe(templateInputsKey(entity({ name: 'bob' })));
    expect(templateInputsKey(a)).not.toBe(templateInputsKey(entity({ metadata: { team: 'red' } })));
    expect(templateInputsKey(entity({ metadata: { a: '1', b: '2' } }))).toBe(templateInputsKey(entity({ metadata: { b: '2', a: '1' } })));
    expect(templateInputsKey(undefined)).not.toBe(templateInputsKey(a));
  });
});
