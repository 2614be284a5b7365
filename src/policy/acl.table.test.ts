import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../core/index.js';
import { compileAcl } from './acl.js';
import { DEFAULT_POLICY_TEXT } from './default-policy.js';
import { parsePolicy } from './parse.js';
import { renderPolicy } from './template.js';
import type { TemplateEntity } from './template.js';
import type { RequestCapability } from './types.js';

interface Case {
  /** What the case shows. */
  name: string;
  /** Policy texts, one policy each. */
  policies: string[];
  capability: RequestCapability;
  path: string;
  data?: JsonObject;
  sudo?: boolean;
  entity?: TemplateEntity;
  allowed: boolean;
}

const p = (pattern: string, ...caps: string[]): string => `path "${pattern}" { capabilities = [${caps.map((c) => `"${c}"`).join(', ')}] }`;
const withParams = (pattern: string, caps: string[], body: string): string =>
  `path "${pattern}" {\n  capabilities = [${caps.map((c) => `"${c}"`).join(', ')}]\n  ${body}\n}`;
const W = ['create', 'update'];

const alice: TemplateEntity = {
  id: 'ent-1',
  name: 'alice',
  metadata: { team: 'blue' },
  aliases: [{ mountAccessor: 'auth_approle_1a2b', name: 'ci-runner', metadata: { env: 'stage' } }],
};
const hostile = (name: string): TemplateEntity => ({ ...alice, name });

const cases: Case[] = [
  // Exact paths
  { name: 'exact path grants read on itself', policies: [p('secret/foo', 'read')], capability: 'read', path: 'secret/foo', allowed: true },
  { name: 'exact path does not reach children', policies: [p('secret/foo', 'read')], capability: 'read', path: 'secret/foo/bar', allowed: false },
  { name: 'exact path grants only its capabilities', policies: [p('secret/foo', 'read')], capability: 'update', path: 'secret/foo', allowed: false },
  { name: 'a leading slash in the request is ignored', policies: [p('secret/foo', 'read')], capability: 'read', path: '/secret/foo', allowed: true },
  { name: 'nothing matches: default deny', policies: [p('secret/foo', 'read')], capability: 'read', path: 'other/foo', allowed: false },
  { name: 'no policies at all: default deny', policies: [], capability: 'read', path: 'secret/foo', allowed: false },

  // `*`: a trailing prefix glob
  { name: '* matches a child', policies: [p('secret/*', 'read')], capability: 'read', path: 'secret/foo', allowed: true },
  { name: '* matches any depth', policies: [p('secret/*', 'read')], capability: 'read', path: 'secret/a/b/c', allowed: true },
  { name: '* matches the prefix itself (secret/* covers "secret/")', policies: [p('secret/*', 'read')], capability: 'read', path: 'secret/', allowed: true },
  { name: '* does not match the folder name without its slash', policies: [p('secret/*', 'read')], capability: 'read', path: 'secret', allowed: false },
  { name: '* inside a segment is a plain prefix (secret/fo* covers secret/foo)', policies: [p('secret/fo*', 'read')], capability: 'read', path: 'secret/foo', allowed: true },
  { name: '* prefix does not match another name', policies: [p('secret/fo*', 'read')], capability: 'read', path: 'secret/fa', allowed: false },
  { name: 'the pattern * alone matches everything', policies: [p('*', 'read')], capability: 'read', path: 'anything/at/all', allowed: true },

  // `+`: exactly one segment
  { name: '+ matches one segment', policies: [p('secret/+/config', 'read')], capability: 'read', path: 'secret/app/config', allowed: true },
  { name: '+ does not match zero segments', policies: [p('secret/+/config', 'read')], capability: 'read', path: 'secret/config', allowed: false },
  { name: '+ does not match two segments', policies: [p('secret/+/config', 'read')], capability: 'read', path: 'secret/a/b/config', allowed: false },
  { name: 'a trailing + matches one last segment', policies: [p('secret/+', 'read')], capability: 'read', path: 'secret/a', allowed: true },
  { name: 'a trailing + does not match deeper paths', policies: [p('secret/+', 'read')], capability: 'read', path: 'secret/a/b', allowed: false },
  { name: 'a trailing + does not match the bare folder', policies: [p('secret/+', 'read')], capability: 'read', path: 'secret', allowed: false },
  { name: 'a leading + matches any first segment', policies: [p('+/config', 'read')], capability: 'read', path: 'app/config', allowed: true },
  { name: '+ followed by * matches one segment then anything', policies: [p('secret/+/*', 'read')], capability: 'read', path: 'secret/a/b/c', allowed: true },
  { name: '+ inside a segment is literal (Vault)', policies: [p('secret/a+b', 'read')], capability: 'read', path: 'secret/a+b', allowed: true },

  // Priority: exact first, then the five ordered rules
  { name: 'exact beats a glob that grants more', policies: [p('secret/foo', 'read'), p('secret/*', 'read', 'update')], capability: 'update', path: 'secret/foo', allowed: false },
  { name: 'the longest plain prefix wins', policies: [p('secret/*', 'read'), p('secret/app/*', 'update')], capability: 'read', path: 'secret/app/x', allowed: false },
  { name: 'the longest plain prefix wins (its own capability)', policies: [p('secret/*', 'read'), p('secret/app/*', 'update')], capability: 'update', path: 'secret/app/x', allowed: true },
  { name: 'rule 1: a later first wildcard wins (secret/app/* over secret/+/db)', policies: [p('secret/+/db', 'read'), p('secret/app/*', 'update')], capability: 'update', path: 'secret/app/db', allowed: true },
  { name: 'rule 1: the earlier wildcard loses', policies: [p('secret/+/db', 'read'), p('secret/app/*', 'update')], capability: 'read', path: 'secret/app/db', allowed: false },
  { name: 'rule 1: foo/(ar/+/baz beats foo/+/(ar/baz', policies: [p('foo/+/(ar/baz', 'read'), p('foo/(ar/+/baz', 'update')], capability: 'read', path: 'foo/(ar/(ar/baz', allowed: false },
  { name: 'rule 2: not ending in * beats ending in * (secret/+ over secret/*)', policies: [p('secret/+', 'read'), p('secret/*', 'update')], capability: 'read', path: 'secret/app', allowed: true },
  { name: 'rule 2: the glob loses', policies: [p('secret/+', 'read'), p('secret/*', 'update')], capability: 'update', path: 'secret/app', allowed: false },
  { name: 'rule 2: foo/bar/+/baz beats foo/bar/+/baz*', policies: [p('foo/bar/+/baz*', 'read'), p('foo/bar/+/baz', 'update')], capability: 'read', path: 'foo/bar/x/baz', allowed: false },
  { name: 'rule 3: fewer + segments win', policies: [p('foo/+/+/baz', 'read'), p('foo/+/bar/baz', 'update')], capability: 'update', path: 'foo/a/bar/baz', allowed: true },
  { name: 'rule 3: more + segments lose', policies: [p('foo/+/+/baz', 'read'), p('foo/+/bar/baz', 'update')], capability: 'read', path: 'foo/a/bar/baz', allowed: false },
  { name: 'rule 3: * alone beats +/* (no wildcard segments)', policies: [p('+/*', 'read'), p('*', 'update')], capability: 'read', path: 'foo/bar/baz', allowed: false },
  { name: 'rule 4: the longer pattern wins', policies: [p('foo/bar/+/b*', 'read'), p('foo/bar/+/ba*', 'update')], capability: 'update', path: 'foo/bar/x/baz', allowed: true },
  { name: 'rule 4: the shorter pattern loses', policies: [p('foo/bar/+/b*', 'read'), p('foo/bar/+/ba*', 'update')], capability: 'read', path: 'foo/bar/x/baz', allowed: false },
  { name: 'rule 5: the lexically greater pattern wins (+/x/+ over +/+/y)', policies: [p('+/+/y', 'read'), p('+/x/+', 'update')], capability: 'update', path: 'p/x/y', allowed: true },
  { name: 'rule 5: the lexically smaller pattern loses', policies: [p('+/+/y', 'read'), p('+/x/+', 'update')], capability: 'read', path: 'p/x/y', allowed: false },

  // Deny: wins within a pattern, not across patterns
  { name: 'deny merged into the same pattern from another policy wins', policies: [p('secret/*', 'read'), p('secret/*', 'deny')], capability: 'read', path: 'secret/foo', allowed: false },
  { name: 'deny mixed with grants in one block denies', policies: [p('secret/*', 'read', 'deny')], capability: 'read', path: 'secret/foo', allowed: false },
  { name: 'duplicate blocks in one policy merge, and deny wins', policies: [`${p('secret/x', 'read')}\n${p('secret/x', 'deny')}\n${p('secret/x', 'update')}`], capability: 'read', path: 'secret/x', allowed: false },
  { name: 'duplicate blocks in one policy merge capabilities', policies: [`${p('secret/x', 'read')}\n${p('secret/x', 'update')}`], capability: 'update', path: 'secret/x', allowed: true },
  { name: 'a more specific deny carves out a subtree', policies: [p('secret/*', 'read'), p('secret/admin/*', 'deny')], capability: 'read', path: 'secret/admin/key', allowed: false },
  { name: 'the carve-out leaves siblings alone', policies: [p('secret/*', 'read'), p('secret/admin/*', 'deny')], capability: 'read', path: 'secret/app/key', allowed: true },
  { name: 'a less specific deny does not override a more specific grant (Vault)', policies: [p('secret/*', 'deny'), p('secret/app/*', 'read')], capability: 'read', path: 'secret/app/key', allowed: true },
  { name: 'an empty capability list matches and grants nothing', policies: [p('secret/*', 'read'), p('secret/quiet')], capability: 'read', path: 'secret/quiet', allowed: false },

  // List: folders end in "/"
  { name: 'list on the folder of a glob', policies: [p('secret/*', 'list')], capability: 'list', path: 'secret/', allowed: true },
  { name: 'list adds the trailing slash when missing', policies: [p('secret/app/*', 'list')], capability: 'list', path: 'secret/app', allowed: true },
  { name: 'list: an exact rule without the slash covers the folder', policies: [p('secret/app', 'list')], capability: 'list', path: 'secret/app/', allowed: true },
  { name: 'list: an exact rule with the slash covers the folder', policies: [p('secret/app/', 'list')], capability: 'list', path: 'secret/app/', allowed: true },
  { name: 'list: read on the glob is not list', policies: [p('secret/*', 'read')], capability: 'list', path: 'secret/', allowed: false },
  { name: 'list: rules matching the folder name come first (secret/+ over secret/app/*)', policies: [p('secret/+', 'list'), p('secret/app/*', 'deny')], capability: 'list', path: 'secret/app/', allowed: true },
  { name: 'list: + matches the empty segment after a folder slash (Vault)', policies: [p('secret/+', 'list')], capability: 'list', path: 'secret/', allowed: true },
  { name: 'list at the root needs a rule for ""', policies: [p('*', 'list')], capability: 'list', path: '', allowed: true },

  // Sudo
  { name: 'sudo: granted with the capability', policies: [p('sys/mounts/*', 'update', 'sudo')], capability: 'update', path: 'sys/mounts/kv', sudo: true, allowed: true },
  { name: 'sudo: missing denies a root-protected path', policies: [p('sys/mounts/*', 'update')], capability: 'update', path: 'sys/mounts/kv', sudo: true, allowed: false },
  { name: 'sudo alone does not grant the capability', policies: [p('sys/mounts/*', 'sudo')], capability: 'update', path: 'sys/mounts/kv', sudo: true, allowed: false },
  { name: 'sudo from a less specific rule does not count', policies: [p('sys/*', 'update', 'sudo'), p('sys/mounts/*', 'update')], capability: 'update', path: 'sys/mounts/kv', sudo: true, allowed: false },

  // Parameters
  { name: 'allowed_parameters: a listed value', policies: [withParams('secret/app', W, 'allowed_parameters = { "env" = ["dev", "stage"] }')], capability: 'update', path: 'secret/app', data: { env: 'dev' }, allowed: true },
  { name: 'allowed_parameters: an unlisted value', policies: [withParams('secret/app', W, 'allowed_parameters = { "env" = ["dev", "stage"] }')], capability: 'update', path: 'secret/app', data: { env: 'prod' }, allowed: false },
  { name: 'allowed_parameters: an unlisted key', policies: [withParams('secret/app', W, 'allowed_parameters = { "env" = ["dev"] }')], capability: 'create', path: 'secret/app', data: { other: 'x' }, allowed: false },
  { name: 'allowed_parameters: an empty list means any value', policies: [withParams('secret/app', W, 'allowed_parameters = { "env" = [] }')], capability: 'update', path: 'secret/app', data: { env: 'whatever' }, allowed: true },
  { name: 'allowed_parameters: "*" lets other keys through, listed keys keep their values', policies: [withParams('secret/app', W, 'allowed_parameters = { "*" = [], "env" = ["dev"] }')], capability: 'update', path: 'secret/app', data: { anything: 1, env: 'dev' }, allowed: true },
  { name: 'allowed_parameters: "*" does not relax a listed key', policies: [withParams('secret/app', W, 'allowed_parameters = { "*" = [], "env" = ["dev"] }')], capability: 'update', path: 'secret/app', data: { env: 'prod' }, allowed: false },
  { name: 'allowed_parameters: a trailing glob value', policies: [withParams('secret/app', W, 'allowed_parameters = { "region" = ["us-*"] }')], capability: 'update', path: 'secret/app', data: { region: 'us-east-1' }, allowed: true },
  { name: 'allowed_parameters: the glob does not match', policies: [withParams('secret/app', W, 'allowed_parameters = { "region" = ["us-*"] }')], capability: 'update', path: 'secret/app', data: { region: 'eu-west-1' }, allowed: false },
  { name: 'allowed_parameters: a leading glob value', policies: [withParams('secret/app', W, 'allowed_parameters = { "name" = ["*-prod"] }')], capability: 'update', path: 'secret/app', data: { name: 'db-prod' }, allowed: true },
  { name: 'allowed_parameters: a lone "*" value is literal (Vault)', policies: [withParams('secret/app', W, 'allowed_parameters = { "name" = ["*"] }')], capability: 'update', path: 'secret/app', data: { name: 'db' }, allowed: false },
  { name: 'allowed_parameters: names compare case-insensitively', policies: [withParams('secret/app', W, 'allowed_parameters = { "Env" = ["dev"] }')], capability: 'update', path: 'secret/app', data: { ENV: 'dev' }, allowed: true },
  { name: 'allowed_parameters: every element of an array must be allowed', policies: [withParams('secret/app', W, 'allowed_parameters = { "tags" = ["a", "b"] }')], capability: 'update', path: 'secret/app', data: { tags: ['a', 'c'] }, allowed: false },
  { name: 'allowed_parameters: numbers and booleans compare by value', policies: [withParams('secret/app', W, 'allowed_parameters = { "n" = [1, 2], "flag" = [false] }')], capability: 'update', path: 'secret/app', data: { n: 2, flag: false }, allowed: true },
  { name: 'allowed_parameters: an empty string is not a free pass (deliberate deviation)', policies: [withParams('secret/app', W, 'allowed_parameters = { "env" = ["dev"] }')], capability: 'update', path: 'secret/app', data: { env: '' }, allowed: false },
  { name: 'allowed_parameters: no body at all is allowed', policies: [withParams('secret/app', W, 'allowed_parameters = { "env" = ["dev"] }')], capability: 'update', path: 'secret/app', data: {}, allowed: true },
  { name: 'denied_parameters: a denied key with any value', policies: [withParams('secret/app', W, 'denied_parameters = { "admin" = [] }')], capability: 'update', path: 'secret/app', data: { admin: false }, allowed: false },
  { name: 'denied_parameters: other keys pass', policies: [withParams('secret/app', W, 'denied_parameters = { "admin" = [] }')], capability: 'update', path: 'secret/app', data: { user: 'x' }, allowed: true },
  { name: 'denied_parameters: "*" denies every non-empty body', policies: [withParams('secret/app', W, 'denied_parameters = { "*" = [] }')], capability: 'update', path: 'secret/app', data: { a: 1 }, allowed: false },
  { name: 'denied_parameters: a denied value inside a comma list', policies: [withParams('secret/app', W, 'denied_parameters = { "tags" = ["bad"] }')], capability: 'update', path: 'secret/app', data: { tags: 'good, bad' }, allowed: false },
  { name: 'denied_parameters beats allowed_parameters', policies: [withParams('secret/app', W, 'allowed_parameters = { "*" = [] }\n  denied_parameters = { "foo" = [] }')], capability: 'update', path: 'secret/app', data: { foo: 1 }, allowed: false },
  { name: 'required_parameters: missing', policies: [withParams('secret/app', W, 'required_parameters = ["owner"]')], capability: 'create', path: 'secret/app', data: { x: 1 }, allowed: false },
  { name: 'required_parameters: present', policies: [withParams('secret/app', W, 'required_parameters = ["owner"]')], capability: 'create', path: 'secret/app', data: { owner: 'me' }, allowed: true },
  { name: 'required_parameters apply to reads too (Vault)', policies: [withParams('secret/app', ['read'], 'required_parameters = ["version"]')], capability: 'read', path: 'secret/app', allowed: false },
  { name: 'parameters are not checked for delete', policies: [withParams('secret/app', ['delete'], 'required_parameters = ["why"]')], capability: 'delete', path: 'secret/app', allowed: true },
  { name: 'parameter constraints merge across policies: an empty list wins', policies: [withParams('secret/app', W, 'allowed_parameters = { "env" = ["dev"] }'), withParams('secret/app', W, 'allowed_parameters = { "env" = [] }')], capability: 'update', path: 'secret/app', data: { env: 'prod' }, allowed: true },
  { name: 'parameter constraints merge across policies: values are unioned', policies: [withParams('secret/app', W, 'allowed_parameters = { "env" = ["dev"] }'), withParams('secret/app', W, 'allowed_parameters = { "env" = ["stage"] }')], capability: 'update', path: 'secret/app', data: { env: 'stage' }, allowed: true },
  { name: 'a wrapping TTL can never be met: Keygate does not wrap', policies: [withParams('secret/app', ['read'], 'max_wrapping_ttl = 300')], capability: 'read', path: 'secret/app', allowed: false },
  { name: 'old-style policy = "write" grants create but not patch', policies: ['path "secret/*" { policy = "write" }'], capability: 'create', path: 'secret/x', allowed: true },
  { name: 'old-style policy = "write" does not grant patch', policies: ['path "secret/*" { policy = "write" }'], capability: 'patch', path: 'secret/x', allowed: false },

  // Templated paths
  { name: 'template: the entity name renders', policies: [p('secret/users/{{identity.entity.name}}/*', 'read')], entity: alice, capability: 'read', path: 'secret/users/alice/db', allowed: true },
  { name: 'template: another user is not granted', policies: [p('secret/users/{{identity.entity.name}}/*', 'read')], entity: alice, capability: 'read', path: 'secret/users/bob/db', allowed: false },
  { name: 'template: entity metadata', policies: [p('secret/teams/{{identity.entity.metadata.team}}/*', 'read')], entity: alice, capability: 'read', path: 'secret/teams/blue/x', allowed: true },
  { name: 'template: alias name by mount accessor', policies: [p('ci/{{identity.entity.aliases.auth_approle_1a2b.name}}', 'read')], entity: alice, capability: 'read', path: 'ci/ci-runner', allowed: true },
  { name: 'template: alias metadata by mount accessor', policies: [p('env/{{identity.entity.aliases.auth_approle_1a2b.metadata.env}}/*', 'read')], entity: alice, capability: 'read', path: 'env/stage/x', allowed: true },
  { name: 'template: no entity drops the rule', policies: [p('secret/users/{{identity.entity.name}}/*', 'read')], capability: 'read', path: 'secret/users//x', allowed: false },
  { name: 'template: a missing metadata key drops the rule', policies: [p('secret/teams/{{identity.entity.metadata.nope}}/*', 'read')], entity: alice, capability: 'read', path: 'secret/teams//x', allowed: false },
  { name: 'template: hostile "*" drops the rule', policies: [p('secret/users/{{identity.entity.name}}', 'read')], entity: hostile('*'), capability: 'read', path: 'secret/users/bob', allowed: false },
  { name: 'template: hostile "a/*" drops the rule', policies: [p('secret/users/{{identity.entity.name}}', 'read')], entity: hostile('a/*'), capability: 'read', path: 'secret/users/a/b', allowed: false },
  { name: 'template: hostile "+" drops the rule', policies: [p('secret/users/{{identity.entity.name}}/db', 'read')], entity: hostile('+'), capability: 'read', path: 'secret/users/bob/db', allowed: false },
  { name: 'template: hostile "x/../../sys" drops the rule', policies: [p('secret/users/{{identity.entity.name}}/*', 'read')], entity: hostile('x/../../sys'), capability: 'read', path: 'secret/users/x/../../sys/seal', allowed: false },
  { name: 'template: a constructor metadata key never reaches Object.prototype', policies: [p('secret/teams/{{identity.entity.metadata.constructor}}', 'read')], entity: alice, capability: 'read', path: 'secret/teams/function Object() { [native code] }', allowed: false },

  // The default policy
  { name: 'default: lookup-self is readable', policies: [DEFAULT_POLICY_TEXT], entity: alice, capability: 'read', path: 'auth/token/lookup-self', allowed: true },
  { name: 'default: renew-self is updatable', policies: [DEFAULT_POLICY_TEXT], capability: 'update', path: 'auth/token/renew-self', allowed: true },
  { name: 'default: revoke-self is updatable', policies: [DEFAULT_POLICY_TEXT], capability: 'update', path: 'auth/token/revoke-self', allowed: true },
  { name: 'default: capabilities-self is updatable', policies: [DEFAULT_POLICY_TEXT], capability: 'update', path: 'sys/capabilities-self', allowed: true },
  { name: 'default: its own entity is readable', policies: [DEFAULT_POLICY_TEXT], entity: alice, capability: 'read', path: 'identity/entity/id/ent-1', allowed: true },
  { name: 'default: another entity is not', policies: [DEFAULT_POLICY_TEXT], entity: alice, capability: 'read', path: 'identity/entity/id/ent-2', allowed: false },
  { name: 'default: no secret is readable', policies: [DEFAULT_POLICY_TEXT], entity: alice, capability: 'read', path: 'database/postgres', allowed: false },
  { name: 'default: lookup-self is not writable', policies: [DEFAULT_POLICY_TEXT], capability: 'update', path: 'auth/token/lookup-self', allowed: false },
];

describe('ACL decisions (Vault semantics)', () => {
  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('$name', (c) => {
    const policies = c.policies.map((text, i) => renderPolicy(parsePolicy(`p${i}`, text), c.entity));
    const acl = compileAcl(policies);
    const decision = c.sudo === true ? acl.allowedWithSudo(c.path, c.capability, c.data) : acl.allowed(c.path, c.capability, c.data);
    expect(decision.allowed, decision.reason).toBe(c.allowed);
  });
});

describe('ACL capabilities (capabilities-self)', () => {
  const acl = compileAcl([
    parsePolicy('a', `${p('secret/*', 'read', 'list')}\n${p('secret/admin/*', 'deny')}\n${p('sys/mounts/*', 'update', 'sudo')}\n${p('secret/empty')}`),
  ]);

  it('reports the deciding rule\'s capabilities, sorted', () => {
    expect(acl.capabilities('secret/app')).toEqual(['list', 'read']);
    expect(acl.capabilities('sys/mounts/kv')).toEqual(['sudo', 'update']);
  });

  it('reports deny for a deny rule, for no match, and for an empty rule', () => {
    expect(acl.capabilities('secret/admin/x')).toEqual(['deny']);
    expect(acl.capabilities('elsewhere')).toEqual(['deny']);
    expect(acl.capabilities('secret/empty')).toEqual(['deny']);
  });

  it('names the deciding pattern in the decision, for audit', () => {
    expect(acl.allowed('secret/admin/x', 'read').matched).toBe('secret/admin/*');
    expect(acl.allowed('nowhere', 'read').matched).toBeNull();
  });
});
