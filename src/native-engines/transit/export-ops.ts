/** `export/{type}/{name}[/{version}]`: key material of an exportable key (public keys of any asymmetric key). */

import { z } from 'zod';
import { sensitive } from '../../core/index.js';
import type { SafeJsonObject } from '../../core/index.js';
import { noBody, noQuery } from '../framework/engine-kit.js';
import { keyNameOf, transit } from './context.js';
import { EXPORT_TYPES, checkExportable, exportVersion } from './export-format.js';
import type { ExportType } from './export-format.js';
import { fieldError } from './field-error.js';
import { listedVersions } from './key-info.js';
import type { KeyPolicy } from './policy.js';

function exportTypeOf(text: string | undefined): ExportType {
  const found = EXPORT_TYPES.find((t) => t === text);
  if (found === undefined) throw fieldError('type', `must be one of ${EXPORT_TYPES.join(', ')}`);
  return found;
}

function versionsOf(policy: KeyPolicy, text: string | undefined): number[] {
  if (text === undefined) return listedVersions(policy);
  let version = policy.latest_version;
  if (text !== 'latest') {
    const digits = text.startsWith('v') ? text.slice(1) : text;
    if (!/^[1-9][0-9]{0,9}$/.test(digits)) throw fieldError('version', 'must be "latest", a version number, or "v" and a version number');
    version = Number(digits);
  }
  if (version < policy.min_decryption_version) throw fieldError('version', 'is below the key\'s min_decryption_version');
  if (policy.versions[String(version)] === undefined) throw fieldError('version', 'does not exist');
  return [version];
}

/** `read` on `export/{type}/{name}` and `export/{type}/{name}/{version}`. */
export const exportOperation = transit.defineOperation({
  summary: 'Export a key',
  description:
    'Exports key material by version: encryption-key, signing-key or hmac-key (only for keys created or configured exportable), or public-key (any asymmetric key). Without a version, every version from min_decryption_version on.',
  body: noBody,
  query: noQuery,
  response: z.object({ name: z.string(), type: z.string(), keys: z.record(z.string(), z.string()) }),
  sensitive: ['keys'],
  async handler(ctx) {
    const exportType = exportTypeOf(ctx.params.type);
    const name = keyNameOf(ctx);
    const policy = await ctx.state.keys.requirePolicy(name);
    if (!policy.exportable && exportType !== 'public-key') throw fieldError('name', 'names a key whose material is not exportable');
    checkExportable(policy.type, exportType);
    const keys: SafeJsonObject = {};
    for (const version of versionsOf(policy, ctx.params.version)) {
      const text = await exportVersion(ctx.runtime.subtle, await ctx.state.keys.material(policy, version), exportType);
      keys[String(version)] = exportType === 'public-key' ? text : sensitive(text);
    }
    return { data: { name: policy.name, type: policy.type, keys }, cache: 'no-store' };
  },
});
