/**
 * The transit engine: encryption as a service with Vault's transit paths, fields and
 * `vault:v{n}:` format, so code written for Vault's transit works against
 * `/api/v1/secrets/<mount>/…`. Keys and their material live only in the mount's
 * barrier-encrypted storage.
 */

import type { EngineDefinition } from '../framework/types.js';
import { autoRotateOperation } from './auto-rotate.js';
import { backupOperation, restoreOperation } from './backup-ops.js';
import { readCacheConfigOperation, writeCacheConfigOperation } from './cache-config.js';
import { keyConfigOperation, trimOperation } from './config-ops.js';
import { createTransitState, isKeyName, transit } from './context.js';
import { datakeyOperation } from './datakey.js';
import { decryptOperation } from './decrypt.js';
import { encryptOperation, encryptUpsertOperation } from './encrypt.js';
import { exportOperation } from './export-ops.js';
import { hmacOperation } from './hmac-ops.js';
import { createKeyOperation, deleteKeyOperation, listKeysOperation, readKeyOperation, rotateKeyOperation } from './key-ops.js';
import { transitOptionsSchema } from './options.js';
import { rewrapOperation } from './rewrap.js';
import { signOperation } from './sign.js';
import { hashOperation, randomOperation } from './utility-ops.js';
import { verifyOperation } from './verify.js';

const keysHelp = {
  synopsis: 'Named encryption, signing and HMAC keys.',
  description:
    'LIST keys names the keys. keys/{name}: write creates a key (type, derived, convergent_encryption, exportable, allow_plaintext_backup, auto_rotate_period, key_size), read describes it (versions, public keys), delete removes it when deletion_allowed; POST keys/{name}/rotate adds a version.',
};

const paths = [
  transit.definePath({ pattern: 'keys', help: keysHelp, operations: { list: listKeysOperation } }),
  transit.definePath({
    pattern: 'keys/{name}',
    help: keysHelp,
    operations: { read: readKeyOperation, update: createKeyOperation, delete: deleteKeyOperation, rotate: rotateKeyOperation },
  }),
  transit.definePath({
    pattern: 'keys/{name}/config',
    help: { synopsis: 'Configure a key.', description: 'Minimum versions, deletion, export and backup permissions, and the auto-rotation period.' },
    operations: { update: keyConfigOperation },
  }),
  transit.definePath({
    pattern: 'keys/{name}/trim',
    help: { synopsis: 'Trim old key versions.', description: 'Deletes the material of versions below min_available_version, for good.' },
    operations: { update: trimOperation },
  }),
  // `POST keys/{name}/rotate` arrives as the rotate action; a PUT there (Vault's CLI writes with PUT) lands here.
  transit.definePath({
    pattern: 'keys/{name}/rotate',
    help: { synopsis: 'Rotate a key.', description: 'Adds a new version of the key; the same as POST keys/{name}/rotate.' },
    operations: { update: rotateKeyOperation },
  }),
  transit.definePath({
    pattern: 'export/{type}/{name}',
    help: { synopsis: 'Export a key.', description: 'Every version of an exportable key, as encryption-key, signing-key, hmac-key or public-key.' },
    operations: { read: exportOperation },
  }),
  transit.definePath({
    pattern: 'export/{type}/{name}/{version}',
    help: { synopsis: 'Export one key version.', description: 'One version ("latest", "3" or "v3") of an exportable key.' },
    operations: { read: exportOperation },
  }),
  transit.definePath({
    pattern: 'backup/{name}',
    help: { synopsis: 'Back up a key.', description: 'The key in plaintext, for keys with allow_plaintext_backup and exportable.' },
    operations: { read: backupOperation },
  }),
  transit.definePath({
    pattern: 'restore',
    help: { synopsis: 'Restore a key.', description: 'Restores a backup under its own name or the body\'s name.' },
    operations: { update: restoreOperation },
  }),
  transit.definePath({
    pattern: 'restore/{name}',
    help: { synopsis: 'Restore a key under a name.', description: 'Restores a backup under the path\'s name.' },
    operations: { update: restoreOperation },
  }),
  transit.definePath({
    pattern: 'encrypt/{name}',
    help: { synopsis: 'Encrypt with a key.', description: 'Base64 plaintext in, vault:v{n}: ciphertext out; batch_input for many.' },
    operations: { create: encryptUpsertOperation, update: encryptOperation },
    // Existence decides create (the caller may create the key on the way) or update, as in Vault.
    async exists(ctx) {
      const name = ctx.params.name ?? '';
      return isKeyName(name) && (await ctx.state.keys.policy(name)) !== null;
    },
  }),
  transit.definePath({
    pattern: 'decrypt/{name}',
    help: { synopsis: 'Decrypt with a key.', description: 'vault:v{n}: ciphertext in, base64 plaintext out; batch_input for many.' },
    operations: { update: decryptOperation },
  }),
  transit.definePath({
    pattern: 'rewrap/{name}',
    help: { synopsis: 'Rewrap ciphertext.', description: 'Re-encrypts ciphertext with the latest key version without revealing the plaintext.' },
    operations: { update: rewrapOperation },
  }),
  transit.definePath({
    pattern: 'datakey/{plaintext}/{name}',
    help: { synopsis: 'Generate a data key.', description: 'A random data key encrypted under the named key; "plaintext" also returns it in the clear, "wrapped" does not.' },
    operations: { update: datakeyOperation },
  }),
  transit.definePath({
    pattern: 'random',
    help: { synopsis: 'Random bytes.', description: 'Random bytes from the platform CSPRNG, base64 or hex.' },
    operations: { update: randomOperation },
  }),
  transit.definePath({
    pattern: 'random/{source_or_bytes}',
    help: { synopsis: 'Random bytes.', description: 'The segment is a source (platform, seal, all) or a byte count.' },
    operations: { update: randomOperation },
  }),
  transit.definePath({
    pattern: 'random/{source}/{bytes}',
    help: { synopsis: 'Random bytes.', description: 'Source, then byte count.' },
    operations: { update: randomOperation },
  }),
  transit.definePath({
    pattern: 'hash',
    help: { synopsis: 'Hash data.', description: 'SHA-2 and SHA-3 digests of base64 input.' },
    operations: { update: hashOperation },
  }),
  transit.definePath({
    pattern: 'hash/{algorithm}',
    help: { synopsis: 'Hash data.', description: 'SHA-2 and SHA-3 digests of base64 input, the algorithm in the path.' },
    operations: { update: hashOperation },
  }),
  transit.definePath({
    pattern: 'hmac/{name}',
    help: { synopsis: 'HMAC with a key.', description: 'vault:v{n}: HMACs of base64 input; verify them with verify/{name} and hmac.' },
    operations: { update: hmacOperation },
  }),
  transit.definePath({
    pattern: 'hmac/{name}/{algorithm}',
    help: { synopsis: 'HMAC with a key.', description: 'As hmac/{name}, the hash algorithm in the path.' },
    operations: { update: hmacOperation },
  }),
  transit.definePath({
    pattern: 'sign/{name}',
    help: { synopsis: 'Sign with a key.', description: 'vault:v{n}: signatures of base64 input with an ECDSA, ed25519 or RSA key.' },
    operations: { update: signOperation },
  }),
  transit.definePath({
    pattern: 'sign/{name}/{algorithm}',
    help: { synopsis: 'Sign with a key.', description: 'As sign/{name}, the hash algorithm in the path.' },
    operations: { update: signOperation },
  }),
  transit.definePath({
    pattern: 'verify/{name}',
    help: { synopsis: 'Verify a signature or HMAC.', description: 'Checks a vault:v{n}: signature or HMAC over base64 input.' },
    operations: { update: verifyOperation },
  }),
  transit.definePath({
    pattern: 'verify/{name}/{algorithm}',
    help: { synopsis: 'Verify a signature or HMAC.', description: 'As verify/{name}, the hash algorithm in the path.' },
    operations: { update: verifyOperation },
  }),
  transit.definePath({
    pattern: 'cache-config',
    help: { synopsis: 'Key cache size.', description: 'How many keys and key versions the mount\'s caches hold.' },
    operations: { read: readCacheConfigOperation, update: writeCacheConfigOperation },
  }),
  transit.definePath({
    pattern: 'auto-rotate',
    help: { synopsis: 'Run automatic rotation.', description: 'Rotates the keys whose auto_rotate_period has elapsed; the gateway\'s scheduler calls it.' },
    operations: { update: autoRotateOperation },
  }),
];

/** The transit engine definition (type `transit`). */
export const transitEngine: EngineDefinition = transit.defineEngine({
  type: 'transit',
  description: 'Encryption as a service, compatible with Vault\'s transit API: named keys, encrypt, decrypt, rewrap, sign, verify, HMAC, data keys.',
  options: transitOptionsSchema,
  actions: ['rotate'],
  setup: createTransitState,
  paths,
});
