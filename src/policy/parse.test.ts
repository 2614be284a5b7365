import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/index.js';
import { DEFAULT_POLICY_TEXT } from './default-policy.js';
import { POLICY_LIMITS, parsePolicy } from './parse.js';
import type { Policy } from './types.js';

/** The rules only: `raw` differs between the HCL and JSON forms by design. */
const rulesOf = (policy: Policy): Policy['rules'] => policy.rules;

function parseError(text: string): ValidationError {
  try {
    parsePolicy('p', text);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

// The examples of Vault's policy documentation, in both of its syntaxes.
const DOC_EXAMPLES: [string, string, string][] = [
  [
    'the annotated example',
    `# This section grants all access on "secret/*". further restrictions can be
# applied to this broad policy, as shown below.
path "secret/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}

# Even though we allowed secret/*, this line explicitly denies
# secret/super-secret. this takes precedence.
path "secret/super-secret" {
  capabilities = ["deny"]
}

# Policies can also specify allowed, disallowed, and required parameters. here
# the key "secret/restricted" can only contain "foo" (any value) and "bar" (one
# of "zip" or "zap").
path "secret/restricted" {
  capabilities = ["create"]
  allowed_parameters = {
    "foo" = []
    "bar" = ["zip", "zap"]
  }
}`,
    `{
  "path": {
    "secret/*": { "capabilities": ["create", "read", "update", "patch", "delete", "list"] },
    "secret/super-secret": { "capabilities": ["deny"] },
    "secret/restricted": {
      "capabilities": ["create"],
      "allowed_parameters": { "foo": [], "bar": ["zip", "zap"] }
    }
  }
}`,
  ],
  [
    'templated paths',
    `path "secret/data/{{identity.entity.id}}/*" {
  capabilities = ["create", "update", "patch", "read", "delete"]
}

path "secret/metadata/{{identity.entity.id}}/*" {
  capabilities = ["list"]
}`,
    `{"path": {"secret/data/{{identity.entity.id}}/*": {"capabilities": ["create", "update", "patch", "read", "delete"]},
              "secret/metadata/{{identity.entity.id}}/*": {"capabilities": ["list"]}}}`,
  ],
  [
    'parameter constraints with wildcards and globs',
    `path "secret/foo" {
  capabilities = ["create"]
  allowed_parameters = {
    "*" = []
    "bar" = ["baz-*", "*-qux"]
  }
  denied_parameters = {
    "salary" = []
  }
  required_parameters = ["bar", "Owner"]
}`,
    `{"path": [{"secret/foo": [{"capabilities": ["create"],
      "allowed_parameters": {"*": [], "bar": ["baz-*", "*-qux"]},
      "denied_parameters": {"salary": []},
      "required_parameters": ["bar", "Owner"]}]}]}`,
  ],
  [
    'segment wildcards and sudo',
    `path "secret/+/teamb" { capabilities = ["read"] }
path "sys/auth/*" { capabilities = ["create", "update", "delete", "sudo"] }`,
    `{"path": {"secret/+/teamb": {"capabilities": ["read"]}, "sys/auth/*": {"capabilities": ["create", "update", "delete", "sudo"]}}}`,
  ],
];

describe('parsePolicy', () => {
  it.each(DOC_EXAMPLES)('reads the HCL and JSON forms of %s alike', (_name, hcl, json) => {
    expect(rulesOf(parsePolicy('x', json))).toEqual(rulesOf(parsePolicy('x', hcl)));
  });

  it('reads what Vault means: deny alone, lower-cased parameter names, leading slash dropped', () => {
    const policy = parsePolicy(
      'x',
      `path "/secret/a" {
  capabilities = ["read", "deny", "list"]
  allowed_parameters = { "ignored" = [] }
}
path "secret/b" {
  capabilities = ["update", "read", "read"]
  allowed_parameters = { "Foo" = ["x", 1, true, ["l"], { "k" = "v" }] }
  required_parameters = ["Bar", "bar"]
  max_wrapping_ttl = "5m"
  min_wrapping_ttl = 60
  comment = "kept out of the rule"
}`,
    );
    const [a, b] = policy.rules;
    expect(a).toMatchObject({ path: 'secret/a', capabilities: ['deny'], allowedParameters: null, requiredParameters: [] });
    expect(b?.capabilities).toEqual(['read', 'update']);
    expect(b?.allowedParameters).toEqual(new Map([['foo', ['x', 1, true, ['l'], { k: 'v' }]]]));
    expect(b?.requiredParameters).toEqual(['bar']);
    expect(b?.maxWrappingTtlMs).toBe(300_000);
    expect(b?.minWrappingTtlMs).toBe(60_000);
    expect(policy.templated).toBe(false);
    expect(policy.raw).toContain('kept out of the rule');
  });

  it('keeps duplicate path blocks as separate rules (compileAcl merges them, as Vault does)', () => {
    const policy = parsePolicy('x', 'path "a" { capabilities = ["read"] }\npath "a" { capabilities = ["update"] }');
    expect(policy.rules.map((r) => [r.path, r.capabilities])).toEqual([
      ['a', ['read']],
      ['a', ['update']],
    ]);
  });

  it('accepts comments of every kind, commas, colons, a name attribute, old-style policy and the default policy', () => {
    const policy = parsePolicy(
      'x',
      `name = "ignored" // the name comes from the API
/* a block
   comment */ path "a/*" { policy = "read", }, path = { "b": { capabilities: ["list"] } }
# end`,
    );
    expect(policy.rules.map((r) => r.capabilities)).toEqual([['read', 'list'], ['list']]);
    const def = parsePolicy('default', DEFAULT_POLICY_TEXT);
    expect(def.templated).toBe(true);
    expect(def.rules.length).toBe(8);
  });

  it('decodes escapes in strings', () => {
    const policy = parsePolicy('x', 'path "a\\u0062\\/c\\"d" { capabilities = ["read"] }');
    expect(policy.rules[0]?.path).toBe('ab/c"d');
  });

  it.each([
    ['an unknown capability', 'path "a" {\n  capabilities = ["read", "fly"]\n}', 2, 27, 'unknown capability'],
    ['an unknown attribute', 'path "a" {\n  capabilities = ["read"]\n  colour = "red"\n}', 3, 3, 'unknown attribute'],
    ['an unknown top-level key', '\n\nrule "a" {}', 3, 1, 'unknown top-level key'],
    ['an empty path', 'path "" { capabilities = ["read"] }', 1, 6, 'must not be empty'],
    ['a lone slash as path', 'path "/" { capabilities = ["read"] }', 1, 6, 'must not be empty'],
    ['a glob in the middle', 'path "a/*/b" { capabilities = ["read"] }', 1, 6, 'only allowed as the last character'],
    ['+*', 'path "a/+*" { capabilities = ["read"] }', 1, 6, '"+*" is not allowed'],
    ['a missing "="', 'path "a" {\n  capabilities ["read"]\n}', 2, 16, 'expected "=" or "{"'],
    ['an unterminated string', 'path "a {}', 1, 6, 'unterminated string'],
    ['a string across lines', 'path "a\nb" {}', 1, 8, 'cannot span lines'],
    ['an unterminated comment', 'path "a" {}\n  /* open', 2, 3, 'unterminated "/*" comment'],
    ['a bare word value', 'path "a" { capabilities = read }', 1, 27, 'bare name'],
    ['a missing closing brace', 'path "a" { capabilities = ["read"]', 1, 35, 'expected a key'],
    ['a duplicate attribute', 'path "a" {\n capabilities = ["read"]\n capabilities = ["list"]\n}', 3, 2, 'duplicate attribute'],
    ['a duplicate parameter', 'path "a" { allowed_parameters = { "x" = [], "X" = [] } }', 1, 45, 'duplicate parameter'],
    ['a wildcard inside a parameter name', 'path "a" { allowed_parameters = { "x*" = [] } }', 1, 35, '"*"'],
    ['a nested parameter path', 'path "a" { denied_parameters = { "/a/b" = [] } }', 1, 34, 'nested parameter paths'],
    ['a wildcard required parameter', 'path "a" { required_parameters = ["*"] }', 1, 35, 'cannot be a wildcard'],
    ['parameter values that are not a list', 'path "a" { allowed_parameters = { "x" = "y" } }', 1, 41, 'must be a list'],
    ['null', 'path "a" { allowed_parameters = { "x" = [null] } }', 1, 42, 'null is not allowed'],
    ['MFA', 'path "a" { mfa_methods = ["m"] }', 1, 12, 'not supported'],
    ['control groups', 'path "a" {\n control_group = {}\n}', 2, 2, 'not supported'],
    ['a bad old-style policy', 'path "a" { policy = "admin" }', 1, 21, 'policy must be'],
    ['max below min wrapping TTL', 'path "a" { min_wrapping_ttl = 100\n max_wrapping_ttl = 50 }', 2, 21, 'max_wrapping_ttl cannot be less'],
    ['an unbalanced template', 'path "a/{{identity.entity.id}" { capabilities = ["read"] }', 1, 6, 'unbalanced'],
    ['an unsupported template', 'path "a/{{identity.groups.names.x.id}}" { capabilities = ["read"] }', 1, 6, 'unsupported template directive'],
    ['a time template', 'path "a/{{time.now}}" { capabilities = ["read"] }', 1, 6, 'unsupported template directive'],
    ['a heredoc', 'path "a" { comment = <<EOF\nx\nEOF\n}', 1, 22, 'heredoc'],
    ['an unknown escape', 'path "a\\q" {}', 1, 8, 'unknown escape'],
    ['a malformed number', 'path "a" { min_wrapping_ttl = 12ab }', 1, 31, 'malformed number'],
    ['a control character in a path', 'path "a\\u0001" {}', 1, 6, 'control character'],
    ['trailing text after JSON', '{"path": {}} x', 1, 14, 'expected the end of the text'],
  ])('refuses %s, naming line and column', (_what, text, line, column, problem) => {
    const error = parseError(text);
    expect(error.code).toBe('ERR_VALIDATION');
    expect(error.details?.[0]?.field).toBe('policy');
    expect(error.message).toContain(`line ${line}, column ${column}:`);
    expect(error.message).toContain(problem);
  });

  it('never echoes the offending text', () => {
    const canary = 'canary7f3a';
    const texts = [
      `path "a" { capabilities = ["${canary}"] }`,
      `path "a" { ${canary} = "x" }`,
      `${canary} "a" {}`,
      `path "a" { capabilities = ${canary} }`,
      `path "a/*/${canary}" {}`,
      `path "a/{{identity.${canary}}}" {}`,
      `path "a" { policy = "${canary}" }`,
      `path "a" { allowed_parameters = { "${canary}*" = [] } }`,
      `path "${canary}`,
    ];
    for (const text of texts) {
      const error = parseError(text);
      expect(error.message).not.toContain(canary);
      expect(JSON.stringify(error.details)).not.toContain(canary);
    }
  });

  it('refuses malformed policy names', () => {
    for (const name of ['', 'Dev', '-x', '.x', 'a/b', 'a b', 'x'.repeat(129), 'é']) {
      const error = (() => {
        try {
          parsePolicy(name, '');
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(error).toBeInstanceOf(ValidationError);
      expect(error instanceof ValidationError ? error.details?.[0]?.field : null).toBe('name');
    }
    expect(parsePolicy('a', '').rules).toEqual([]);
    expect(parsePolicy(`a${'b'.repeat(127)}`, '').name).toHaveLength(128);
  });

  describe('limits', () => {
    it('refuses text over 64 KiB, counted in UTF-8 bytes', () => {
      expect(parseError(' '.repeat(POLICY_LIMITS.maxTextBytes + 1)).message).toContain('larger than');
      // 30,000 three-byte characters: under the limit in UTF-16 units, over it in bytes.
      expect(parseError(`# ${'€'.repeat(30_000)}`).message).toContain('larger than');
      expect(parsePolicy('x', `# ${'a'.repeat(POLICY_LIMITS.maxTextBytes - 3)}`).rules).toEqual([]);
    });

    it('refuses nesting deeper than 16 (and a deep list is no stack overflow)', () => {
      const nested = (depth: number): string => `path "a" { allowed_parameters = { "x" = [${'['.repeat(depth)}${']'.repeat(depth)}] } }`;
      expect(parsePolicy('x', nested(12)).rules).toHaveLength(1);
      expect(parseError(nested(13)).message).toContain('nesting deeper than 16');
      expect(parseError(`path "a" { x = ${'['.repeat(60_000)} }`).message).toContain('nesting deeper than 16');
      expect(parseError('{"a":'.repeat(10_000)).message).toContain('nesting deeper than 16');
      expect(parseError(`a ${'"b" '.repeat(20)} {}`).message).toContain('nesting deeper than 16');
    });

    it('refuses more than 1,000 path blocks', () => {
      const blocks = (n: number): string => Array.from({ length: n }, (_, i) => `path "p${i}" {}`).join('\n');
      expect(parsePolicy('x', blocks(1000)).rules).toHaveLength(1000);
      expect(parseError(blocks(1001)).message).toContain('more than 1000 path blocks');
    });

    it('refuses more than 256 parameters in one block', () => {
      const params = (n: number): string => `path "a" { allowed_parameters = { ${Array.from({ length: n }, (_, i) => `"k${i}" = []`).join(' ')} } }`;
      expect(parsePolicy('x', params(256)).rules).toHaveLength(1);
      expect(parseError(params(257)).message).toContain('more than 256 parameters');
    });

    it('refuses paths over 1,024 characters and reads a huge string quickly', () => {
      expect(parseError(`path "${'a'.repeat(1025)}" {}`).message).toContain('longer than 1024');
      expect(parsePolicy('x', `path "a" { comment = "${'x'.repeat(60_000)}" }`).rules).toHaveLength(1);
    });
  });

  it('throws only ValidationError, whatever the text (property)', () => {
    const pieces = fc.constantFrom('path', '"a/*"', '"x"', '{', '}', '[', ']', '=', ':', ',', ' ', '\n', '#', '//', '/*', '*/', 'capabilities', '"read"', '"deny"', '1', '-', 'true', 'null', '"\\u00"', '\\', '{{', '}}', 'allowed_parameters');
    const text = fc.oneof(fc.string({ maxLength: 200 }), fc.array(pieces, { maxLength: 60 }).map((p) => p.join('')));
    fc.assert(
      fc.property(text, (t) => {
        try {
          parsePolicy('x', t);
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
