/**
 * The native KV engine (versioned, like Vault's KV v2): one path spec, `{path*}`, where the
 * whole relative path names the secret. Everything it stores goes through the mount's
 * barrier view: `meta/<p>` and `data/<p>/<version>`.
 */

import type { EngineDefinition } from '../framework/types.js';
import { createKvState, kv } from './context.js';
import { listOperation } from './list.js';
import {
  deleteMetadataOperation,
  patchMetadataOperation,
  readMetadataOperation,
  writeMetadataOperation,
} from './metadata-ops.js';
import { metaKey } from './layout.js';
import { kvOptionsSchema } from './options.js';
import { rotateOperation } from './rotate.js';
import { patchOperation, readOperation, writeOperation } from './secret-ops.js';
import { deleteOperation, destroyOperation, undeleteOperation } from './version-ops.js';

const secretPath = kv.definePath({
  pattern: '{path*}',
  help: {
    synopsis: 'Versioned key-value secrets.',
    description:
      'Each path holds a secret: a JSON object, kept in versions. Writes create a new version (check-and-set with cas or If-Match); reads return the current or a chosen version; delete, undelete and destroy manage versions; the metadata operations manage the version table and per-secret settings; rotate regenerates configured fields. List works on any folder, including the mount root.',
  },
  operations: {
    read: readOperation,
    list: listOperation,
    create: writeOperation,
    update: writeOperation,
    patch: patchOperation,
    delete: deleteOperation,
    undelete: undeleteOperation,
    destroy: destroyOperation,
    rotate: rotateOperation,
    'read-metadata': readMetadataOperation,
    'write-metadata': writeMetadataOperation,
    'patch-metadata': patchMetadataOperation,
    'delete-metadata': deleteMetadataOperation,
  },
  // A secret exists once it has metadata, so the gateway can class a write create or update.
  async exists(ctx) {
    const p = ctx.req.relativePath;
    if (p === '') return false;
    return (await ctx.storage.get(metaKey(p))) !== null;
  },
});

/** The KV engine definition (type `kv`). */
export const kvEngine: EngineDefinition = kv.defineEngine({
  type: 'kv',
  description: 'Versioned key-value secrets (like Vault KV v2), stored encrypted in Keygate\'s own storage.',
  options: kvOptionsSchema,
  actions: ['rotate', 'undelete', 'destroy'],
  setup: () => createKvState(),
  paths: [secretPath],
});
