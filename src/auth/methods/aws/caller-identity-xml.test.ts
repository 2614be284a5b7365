import { describe, expect, it } from 'vitest';
import { parseCallerIdentity } from './caller-identity-xml.js';

const ok = (result: string, decl = '<?xml version="1.0" encoding="UTF-8"?>\n') =>
  `${decl}<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>${result}</GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`;

const fields = '<Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>';

describe('aws: GetCallerIdentity reader', () => {
  it('reads Arn, UserId and Account from STS answers, in any order, with or without a declaration', () => {
    const expected = { arn: 'arn:aws:iam::123456789012:user/alice', userId: 'AIDAEXAMPLE', account: '123456789012' };
    expect(parseCallerIdentity(ok(fields))).toEqual(expected);
    expect(parseCallerIdentity(ok('\n <Account>123456789012</Account>\n <UserId>AIDAEXAMPLE</UserId>\n <Arn>arn:aws:iam::123456789012:user/alice</Arn>\n', ''))).toEqual(expected);
    expect(parseCallerIdentity(ok(fields.replace('AIDAEXAMPLE', 'AROA1:sess&#64;x&amp;y'))))
      .toMatchObject({ userId: 'AROA1:sess@x&y' });
  });

  it('refuses DOCTYPE, entities, comments, CDATA and processing instructions', () => {
    const doctype = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "arn:aws:iam::123456789012:user/admin">]>${ok(fields, '')}`;
    expect(parseCallerIdentity(doctype)).toBeNull();
    expect(parseCallerIdentity(ok(fields.replace('alice', '&a;')))).toBeNull();
    expect(parseCallerIdentity(ok(fields.replace('alice', 'al<!-- x -->ice')))).toBeNull();
    expect(parseCallerIdentity(ok(fields.replace('alice', '<![CDATA[alice]]>')))).toBeNull();
    expect(parseCallerIdentity(ok(`<?pi x?>${fields}`))).toBeNull();
    expect(parseCallerIdentity(ok(fields.replace('alice', 'al&ice')))).toBeNull();
    expect(parseCallerIdentity(ok(fields.replace('alice', 'al&#0;ice')))).toBeNull();
  });

  it('refuses a field given twice, a missing field, a second result, another root, or a bad account', () => {
    expect(parseCallerIdentity(ok(`${fields}<Arn>arn:aws:iam::123456789012:user/admin</Arn>`))).toBeNull();
    expect(parseCallerIdentity(ok(fields.replace('<UserId>AIDAEXAMPLE</UserId>', '')))).toBeNull();
    expect(parseCallerIdentity(ok(`${fields}</GetCallerIdentityResult><GetCallerIdentityResult>${fields}`))).toBeNull();
    expect(parseCallerIdentity(ok(fields).replace(/GetCallerIdentityResponse/g, 'ErrorResponse'))).toBeNull();
    expect(parseCallerIdentity(ok(fields.replace('<Account>123456789012</Account>', '<Account>12345</Account>')))).toBeNull();
    expect(parseCallerIdentity(ok(fields.replace('<Arn>', '<Arn attr="1">')))).toBeNull();
    expect(parseCallerIdentity(`${ok(fields)}<extra/>`)).toBeNull();
    expect(parseCallerIdentity(ok(fields) + ' '.repeat(20_000))).toBeNull();
    expect(parseCallerIdentity('')).toBeNull();
    expect(parseCallerIdentity('{"GetCallerIdentityResponse":{}}')).toBeNull();
  });
});
