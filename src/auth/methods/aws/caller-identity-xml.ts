/**
 * A tiny, bounded reader for STS's GetCallerIdentity answer: it extracts `Arn`, `UserId`
 * and `Account` from the one `GetCallerIdentityResult` of a `GetCallerIdentityResponse`,
 * and nothing else. No XML library: it refuses DOCTYPE, entity declarations, comments,
 * CDATA and processing instructions (other than the XML declaration), decodes only the
 * five predefined entities and numeric character references, and requires each field
 * exactly once, so nothing in the document can expand, redirect or smuggle a second value.
 */

import { MAX_ARN_LENGTH } from './arn.js';

/** Who signed the request, as STS says. */
export interface CallerIdentity {
  arn: string;
  /** `AIDA…` for users, `AROA…:session` for assumed roles. */
  userId: string;
  account: string;
}

/** Largest document accepted. */
export const MAX_CALLER_IDENTITY_XML = 16 * 1024;

const DECLARATION = /^\s*<\?xml\s[^<>?]*\?>/;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes element text; null when it holds markup or an unknown entity. */
function decodeText(text: string): string | null {
  if (text.includes('<') || text.includes('>')) return null;
  let ok = true;
  const decoded = text.replace(/&([^;&\s]{0,10});?/g, (whole, name: string) => {
    if (!whole.endsWith(';')) {
      ok = false;
      return '';
    }
    const predefined = PREDEFINED[name];
    if (predefined !== undefined) return predefined;
    const numeric = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(name);
    const code = numeric === null ? NaN : numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2]);
    if (!Number.isInteger(code) || code < 0x20 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      ok = false;
      return '';
    }
    return String.fromCodePoint(code);
  });
  return ok ? decoded.trim() : null;
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** The text of the one `<tag>…</tag>` in `scope`, or null when it is absent, repeated or malformed. */
function onlyField(scope: string, tag: string, maxLength: number): string | null {
  const open = `<${tag}>`;
  const first = scope.indexOf(open);
  if (first === -1 || scope.indexOf(open, first + 1) !== -1 || scope.includes(`<${tag} `) || scope.includes(`<${tag}/`)) return null;
  const start = first + open.length;
  const end = scope.indexOf(`</${tag}>`, start);
  if (end === -1) return null;
  const text = decodeText(scope.slice(start, end));
  if (text === null || text === '' || text.length > maxLength || hasControl(text)) return null;
  return text;
}

/** The caller identity in `xml`, or null for anything that is not a well-formed answer of this one shape. */
export function parseCallerIdentity(xml: string): CallerIdentity | null {
  if (xml.length > MAX_CALLER_IDENTITY_XML) return null;
  const body = xml.replace(DECLARATION, '').trim();
  // DOCTYPE, ENTITY, comments, CDATA, processing instructions: none belong in this answer.
  if (body.includes('<!') || body.includes('<?')) return null;
  if (!/^<GetCallerIdentityResponse(\s[^<>]*)?>/.test(body) || !body.endsWith('</GetCallerIdentityResponse>')) return null;
  const resultOpen = '<GetCallerIdentityResult>';
  const first = body.indexOf(resultOpen);
  if (first === -1 || body.indexOf(resultOpen, first + 1) !== -1) return null;
  const end = body.indexOf('</GetCallerIdentityResult>', first);
  if (end === -1) return null;
  const result = body.slice(first + resultOpen.length, end);
  const arn = onlyField(result, 'Arn', MAX_ARN_LENGTH);
  const userId = onlyField(result, 'UserId', 256);
  const account = onlyField(result, 'Account', 12);
  if (arn === null || userId === null || account === null || !/^[0-9]{12}$/.test(account)) return null;
  return { arn, userId, account };
}
