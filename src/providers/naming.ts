/**
 * Logical paths ↔ cloud secret names (docs/providers/naming.md). Each mapping keeps the
 * cloud's safe characters as they are and writes every other UTF-8 byte as an escape
 * (`<escape char><two upper-case hex digits>`), the escape character itself included. So it
 * is reversible and collision-free, and names stay readable for ordinary paths. A mount's
 * `name_prefix` is put in front verbatim (it must already be a valid cloud name part).
 */

import { ValidationError, fromUtf8, utf8 } from '../core/index.js';
import type { NameMapper } from './types.js';

export interface NamingRules {
  /** Characters kept as they are (besides the escape character, which is always escaped). */
  safe: RegExp;
  escape: string;
  maxLength: number;
  /** Whether the cloud compares names case-insensitively (Azure): upper-case letters are then escaped too. */
  caseInsensitive: boolean;
  /** For error messages: the cloud's rule, e.g. `[0-9a-zA-Z-]{1,127}`. */
  describe: string;
  /** Characters a whole name (or a mount's name prefix) may use. */
  valid: RegExp;
}

/** AWS Secrets Manager: `A-Za-z0-9/_+=.@-`, up to 512. `/` is kept (AWS names are paths); `=` escapes. */
export const AWS_NAMING: NamingRules = { safe: /[A-Za-z0-9/_+.@-]/, escape: '=', maxLength: 512, caseInsensitive: false, describe: 'A-Za-z0-9/_+=.@-, at most 512 characters', valid: /^[A-Za-z0-9/_+=.@-]+$/ };
/** Azure Key Vault: `[0-9a-zA-Z-]{1,127}`, case-insensitive. `-` escapes; upper case is escaped. */
export const AZURE_NAMING: NamingRules = { safe: /[a-z0-9]/, escape: '-', maxLength: 127, caseInsensitive: true, describe: '[0-9a-zA-Z-]{1,127}, case-insensitive', valid: /^[0-9a-zA-Z-]+$/ };
/** GCP Secret Manager: `[a-zA-Z0-9_-]{1,255}`. `_` escapes. */
export const GCP_NAMING: NamingRules = { safe: /[A-Za-z0-9-]/, escape: '_', maxLength: 255, caseInsensitive: false, describe: '[a-zA-Z0-9_-]{1,255}', valid: /^[a-zA-Z0-9_-]+$/ };

const hex2 = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');

/** A mapper for one cloud's rules and a mount's name prefix. */
export function createNameMapper(rules: NamingRules, prefix = ''): NameMapper {
  const encode = (path: string): string => {
    let out = '';
    for (const ch of path) {
      if (ch !== rules.escape && rules.safe.test(ch)) out += ch;
      else for (const b of utf8(ch)) out += rules.escape + hex2(b);
    }
    return out;
  };
  const decode = (name: string): string | null => {
    const bytes: number[] = [];
    for (let i = 0; i < name.length; i++) {
      const ch = name[i] ?? '';
      if (ch === rules.escape) {
        const pair = name.slice(i + 1, i + 3);
        if (!/^[0-9A-F]{2}$/.test(pair)) return null;
        bytes.push(Number.parseInt(pair, 16));
        i += 2;
      } else if (rules.safe.test(ch)) {
        for (const b of utf8(ch)) bytes.push(b);
      } else return null;
    }
    try {
      const text = fromUtf8(new Uint8Array(bytes));
      // Only the canonical encoding decodes: anything else is a name Keygate did not write.
      return encode(text) === name ? text : null;
    } catch {
      return null;
    }
  };
  return {
    toCloud(path) {
      if (path === '') throw new ValidationError('a secret path is required', [{ field: 'path', reason: 'must not be empty' }]);
      const name = prefix + encode(path);
      if (name.length > rules.maxLength) {
        throw new ValidationError('the path is too long for this cloud once mapped to its naming rules', [
          { field: 'path', reason: `maps to ${name.length} characters; the cloud allows ${rules.describe}` },
        ]);
      }
      return name;
    },
    fromCloud(name) {
      if (!name.startsWith(prefix)) return null;
      return decode(name.slice(prefix.length));
    },
    cloudPrefix(folder) {
      return folder === '' ? prefix : prefix + encode(folder.endsWith('/') ? folder : `${folder}/`);
    },
  };
}
