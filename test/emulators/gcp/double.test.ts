/**
 * The GCP Secret Manager double, held to Google's documented behaviour through Google's own
 * Node client (`@google-cloud/secret-manager`), exactly as Keygate's port talks to it. Each
 * test names one documented rule and the page that documents it. Rules marked "assumption"
 * are not spelled out by Google; the double picks the strict reading.
 */

import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { crc32c } from '../../../src/cloud/gcp/crc32c.js';
import { TEST_SERVICE_ACCOUNT_KEY, startSecretManagerDouble } from './index.js';
import type { GcpDouble, SecretManagerDouble } from './index.js';

const PROJECT = 'keygate-test';
const parent = `projects/${PROJECT}`;
const NO_RETRY = { retry: null };

let double: GcpDouble & { secretManager: SecretManagerDouble };
let client: SecretManagerServiceClient;

const statusName = (code: unknown): string => {
  const entry = Object.entries(status).find(([, v]) => v === code);
  return entry?.[0] ?? `code ${String(code)}`;
};
/** The gRPC status a call ends with (`OK` when it succeeds). */
const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'OK',
    (e: unknown) => statusName(typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined),
  );

const automatic = { replication: { automatic: {} } };
const createSecret = (secretId: string, secret: object = automatic) => client.createSecret({ parent, secretId, secret }, NO_RETRY).then(([s]) => s);
const addVersion = (secretId: string, data: string | Uint8Array) =>
  client.addSecretVersion({ parent: `${parent}/secrets/${secretId}`, payload: { data: typeof data === 'string' ? Buffer.from(data) : data } }, NO_RETRY).then(([v]) => v);
const access = (name: string) => client.accessSecretVersion({ name }, NO_RETRY).then(([r]) => r);
const vname = (secretId: string, version: string | number) => `${parent}/secrets/${secretId}/versions/${version}`;

beforeAll(async () => {
  double = await startSecretManagerDouble();
  client = new SecretManagerServiceClient({
    ...double.clientOptions(),
    projectId: PROJECT,
    credentials: { client_email: TEST_SERVICE_ACCOUNT_KEY.client_email, private_key: TEST_SERVICE_ACCOUNT_KEY.private_key },
  });
});

afterAll(async () => {
  await client?.close();
  await double?.stop();
});

beforeEach(() => {
  double.secretManager.reset();
  double.faults.clear();
});

describe('GCP Secret Manager double: secrets', () => {
  // https://cloud.google.com/secret-manager/docs/reference/rpc/google.cloud.secretmanager.v1#createsecretrequest
  it('creates a secret with a name, a create time and an etag, and no versions', async () => {
    const s = await createSecret('db-password');
    expect(s.name).toBe(`${parent}/secrets/db-password`);
    expect(Number(s.createTime?.seconds)).toBeGreaterThan(0);
    expect(s.etag).toMatch(/^".+"$/);
    expect(await outcome(access(vname('db-password', 'latest')))).toBe('NOT_FOUND');
  });

  // CreateSecretRequest.secret_id: "at most 255 characters … letters, numerals, hyphen and underscore"
  it('accepts secret ids of [a-zA-Z0-9_-]{1,255} and refuses others with INVALID_ARGUMENT', async () => {
    expect(await outcome(createSecret('A'.repeat(255)))).toBe('OK');
    expect(await outcome(createSecret('A'.repeat(256)))).toBe('INVALID_ARGUMENT');
    expect(await outcome(createSecret('has.dot'))).toBe('INVALID_ARGUMENT');
    expect(await outcome(createSecret('has/slash'))).toBe('INVALID_ARGUMENT');
    expect(await outcome(createSecret(''))).toBe('INVALID_ARGUMENT');
  });

  // https://cloud.google.com/secret-manager/docs/choosing-replication: a secret needs a replication policy
  it('requires a replication policy; user-managed replicas need distinct valid locations', async () => {
    expect(await outcome(createSecret('no-replication', {}))).toBe('INVALID_ARGUMENT');
    expect(await outcome(createSecret('um-empty', { replication: { userManaged: { replicas: [] } } }))).toBe('INVALID_ARGUMENT');
    expect(await outcome(createSecret('um-dup', { replication: { userManaged: { replicas: [{ location: 'europe-west1' }, { location: 'europe-west1' }] } } }))).toBe('INVALID_ARGUMENT');
    const s = await createSecret('um-ok', { replication: { userManaged: { replicas: [{ location: 'europe-west1' }, { location: 'europe-west4' }] } } });
    expect(s.replication?.userManaged?.replicas?.map((r) => r.location)).toEqual(['europe-west1', 'europe-west4']);
  });

  // https://cloud.google.com/secret-manager/docs/reference/rpc/google.rpc#code: ALREADY_EXISTS, NOT_FOUND
  it('answers ALREADY_EXISTS for a duplicate id and NOT_FOUND for a missing secret', async () => {
    await createSecret('dup');
    expect(await outcome(createSecret('dup'))).toBe('ALREADY_EXISTS');
    expect(await outcome(client.getSecret({ name: `${parent}/secrets/absent` }, NO_RETRY))).toBe('NOT_FOUND');
    expect(await outcome(client.addSecretVersion({ parent: `${parent}/secrets/absent`, payload: { data: Buffer.from('x') } }, NO_RETRY))).toBe('NOT_FOUND');
  });

  // Secret.labels (resources.proto): key [\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}, value [\p{Ll}\p{Lo}\p{N}_-]{0,63}, at most 64
  it('enforces the label rules', async () => {
    expect(await outcome(createSecret('l1', { ...automatic, labels: { team: 'payments', 'café': 'ü-1' } }))).toBe('OK');
    expect(await outcome(createSecret('l2', { ...automatic, labels: { Team: 'x' } }))).toBe('INVALID_ARGUMENT');
    expect(await outcome(createSecret('l3', { ...automatic, labels: { '1team': 'x' } }))).toBe('INVALID_ARGUMENT');
    expect(await outcome(createSecret('l4', { ...automatic, labels: { team: 'UPPER' } }))).toBe('INVALID_ARGUMENT');
    expect(await outcome(createSecret('l5', { ...automatic, labels: { team: 'x'.repeat(64) } }))).toBe('INVALID_ARGUMENT');
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    expect(await outcome(createSecret('l6', { ...automatic, labels: many }))).toBe('INVALID_ARGUMENT');
  });

  // Secret.annotations (resources.proto): keys 1-63, alphanumeric at both ends, [a-zA-Z0-9._-] between; total < 16KiB
  it('enforces the annotation rules', async () => {
    expect(await outcome(createSecret('a1', { ...automatic, annotations: { 'keygate.io-Kind_1': 'any text: ✓ / {}' } }))).toBe('OK');
    expect(await outcome(createSecret('a2', { ...automatic, annotations: { '-bad': 'x' } }))).toBe('INVALID_ARGUMENT');
    expect(await outcome(createSecret('a3', { ...automatic, annotations: { 'has/slash': 'x' } }))).toBe('INVALID_ARGUMENT');
    expect(await outcome(createSecret('a4', { ...automatic, annotations: { big: 'x'.repeat(16 * 1024) } }))).toBe('INVALID_ARGUMENT');
  });

  // https://cloud.google.com/secret-manager/docs/delete-secret: deleting a secret deletes every version, for good
  it('deletes a secret with all its versions', async () => {
    await createSecret('gone');
    await addVersion('gone', 'v1');
    await client.deleteSecret({ name: `${parent}/secrets/gone` }, NO_RETRY);
    expect(await outcome(client.getSecret({ name: `${parent}/secrets/gone` }, NO_RETRY))).toBe('NOT_FOUND');
    expect(await outcome(access(vname('gone', 1)))).toBe('NOT_FOUND');
    expect(await outcome(client.deleteSecret({ name: `${parent}/secrets/gone` }, NO_RETRY))).toBe('NOT_FOUND');
  });
});

describe('GCP Secret Manager double: versions and payloads', () => {
  // SecretVersion.name: "IDs in a Secret start at 1 and are incremented for each subsequent version"
  it('numbers versions from 1 and resolves `latest` to the most recently created one', async () => {
    await createSecret('numbered');
    expect((await addVersion('numbered', 'one')).name).toBe(vname('numbered', 1));
    expect((await addVersion('numbered', 'two')).name).toBe(vname('numbered', 2));
    const latest = await access(vname('numbered', 'latest'));
    expect(latest.name).toBe(vname('numbered', 2));
    expect(Buffer.from(latest.payload?.data ?? new Uint8Array()).toString()).toBe('two');
    const [meta] = await client.getSecretVersion({ name: vname('numbered', 'latest') }, NO_RETRY);
    expect(meta.name).toBe(vname('numbered', 2));
    expect(meta.state).toBe('ENABLED');
  });

  // SecretPayload.data: "Must be no larger than 64KiB"
  it('accepts payloads up to 64 KiB and refuses larger ones with INVALID_ARGUMENT', async () => {
    await createSecret('sized');
    expect(await outcome(addVersion('sized', new Uint8Array(64 * 1024)))).toBe('OK');
    expect(await outcome(addVersion('sized', new Uint8Array(64 * 1024 + 1)))).toBe('INVALID_ARGUMENT');
  });

  // https://cloud.google.com/secret-manager/docs/data-integrity: CRC32C verified on add, returned on access
  // (mismatch answered INVALID_ARGUMENT: assumption, the code is not documented)
  it('verifies data_crc32c on add and returns the checksum on access', async () => {
    expect(crc32c(new TextEncoder().encode('a\n'))).toBe(163439259); // the page's own example: "YQo=" → 163439259
    await createSecret('checked');
    const data = Buffer.from('a\n');
    const [v] = await client.addSecretVersion({ parent: `${parent}/secrets/checked`, payload: { data, dataCrc32c: 163439259 } }, NO_RETRY);
    expect(v.clientSpecifiedPayloadChecksum).toBe(true);
    const r = await access(vname('checked', 1));
    expect(String(r.payload?.dataCrc32c)).toBe('163439259');
    expect(await outcome(client.addSecretVersion({ parent: `${parent}/secrets/checked`, payload: { data, dataCrc32c: 1 } }, NO_RETRY))).toBe('INVALID_ARGUMENT');
    const [unchecked] = await client.addSecretVersion({ parent: `${parent}/secrets/checked`, payload: { data } }, NO_RETRY);
    expect(unchecked.clientSpecifiedPayloadChecksum).toBe(false);
  });

  // SecretVersion.State: DISABLED "may not be accessed", DESTROYED "data is no longer stored … may not leave this state".
  // Access of a non-enabled version answers FAILED_PRECONDITION ("Secret Version […] is in DESTROYED state."),
  // as Google's API does: https://github.com/google-github-actions/get-secretmanager-secrets/issues/268
  it('refuses access to disabled and destroyed versions with FAILED_PRECONDITION; destroyed is terminal', async () => {
    await createSecret('states');
    await addVersion('states', 'one');
    await client.disableSecretVersion({ name: vname('states', 1) }, NO_RETRY);
    expect(await outcome(access(vname('states', 1)))).toBe('FAILED_PRECONDITION');
    await client.enableSecretVersion({ name: vname('states', 1) }, NO_RETRY);
    expect(await outcome(access(vname('states', 1)))).toBe('OK');
    const [destroyed] = await client.destroySecretVersion({ name: vname('states', 1) }, NO_RETRY);
    expect(destroyed.state).toBe('DESTROYED');
    expect(Number(destroyed.destroyTime?.seconds)).toBeGreaterThan(0);
    expect(double.secretManager.storedPayload(PROJECT, 'states', 1)).toBeNull();
    expect(await outcome(access(vname('states', 1)))).toBe('FAILED_PRECONDITION');
    expect(await outcome(client.enableSecretVersion({ name: vname('states', 1) }, NO_RETRY))).toBe('FAILED_PRECONDITION');
    expect(await outcome(client.disableSecretVersion({ name: vname('states', 1) }, NO_RETRY))).toBe('FAILED_PRECONDITION');
    // The version still exists, as metadata.
    const [meta] = await client.getSecretVersion({ name: vname('states', 1) }, NO_RETRY);
    expect(meta.state).toBe('DESTROYED');
  });

  // `latest` "is an alias to the most recently created SecretVersion", whatever its state
  it('does not skip a disabled newest version when resolving `latest`', async () => {
    await createSecret('latest-disabled');
    await addVersion('latest-disabled', 'one');
    await addVersion('latest-disabled', 'two');
    await client.disableSecretVersion({ name: vname('latest-disabled', 2) }, NO_RETRY);
    expect(await outcome(access(vname('latest-disabled', 'latest')))).toBe('FAILED_PRECONDITION');
  });

  // ListSecretVersionsResponse: "sorted in reverse by create_time (newest first)"; filter on state (filtering page)
  it('lists versions newest first, page by page, with a state filter', async () => {
    await createSecret('many');
    for (let i = 1; i <= 5; i++) await addVersion('many', `v${i}`);
    await client.disableSecretVersion({ name: vname('many', 2) }, NO_RETRY);
    const [first, , raw] = await client.listSecretVersions({ parent: `${parent}/secrets/many`, pageSize: 2 }, { ...NO_RETRY, autoPaginate: false });
    expect(first.map((v) => v.name?.split('/').pop())).toEqual(['5', '4']);
    expect(raw?.totalSize).toBe(5);
    const [second] = await client.listSecretVersions({ parent: `${parent}/secrets/many`, pageSize: 2, pageToken: raw?.nextPageToken ?? '' }, { ...NO_RETRY, autoPaginate: false });
    expect(second.map((v) => v.name?.split('/').pop())).toEqual(['3', '2']);
    const [disabled] = await client.listSecretVersions({ parent: `${parent}/secrets/many`, filter: 'state:DISABLED' }, { ...NO_RETRY, autoPaginate: false });
    expect(disabled.map((v) => v.name?.split('/').pop())).toEqual(['2']);
  });
});

describe('GCP Secret Manager double: etags', () => {
  // https://cloud.google.com/secret-manager/docs/etags: a given etag must match, else FAILED_PRECONDITION;
  // no etag skips the check; each modification updates only its own resource's etag
  it('checks the secret etag on UpdateSecret and DeleteSecret, and renews it on every update', async () => {
    const s = await createSecret('etagged');
    const [updated] = await client.updateSecret({ secret: { name: s.name, etag: s.etag, labels: { a: 'b' } }, updateMask: { paths: ['labels'] } }, NO_RETRY);
    expect(updated.etag).not.toBe(s.etag);
    expect(await outcome(client.updateSecret({ secret: { name: s.name, etag: s.etag, labels: {} }, updateMask: { paths: ['labels'] } }, NO_RETRY))).toBe('FAILED_PRECONDITION');
    expect(await outcome(client.updateSecret({ secret: { name: s.name, labels: { c: 'd' } }, updateMask: { paths: ['labels'] } }, NO_RETRY))).toBe('OK');
    expect(await outcome(client.deleteSecret({ name: s.name, etag: updated.etag }, NO_RETRY))).toBe('FAILED_PRECONDITION');
    const [fresh] = await client.getSecret({ name: s.name }, NO_RETRY);
    expect(await outcome(client.deleteSecret({ name: s.name, etag: fresh.etag }, NO_RETRY))).toBe('OK');
  });

  it('leaves the secret etag alone when a version is added or changed', async () => {
    const s = await createSecret('independent');
    await addVersion('independent', 'one');
    await client.disableSecretVersion({ name: vname('independent', 1) }, NO_RETRY);
    const [after] = await client.getSecret({ name: s.name }, NO_RETRY);
    expect(after.etag).toBe(s.etag);
  });

  // "Even when an update doesn't change a resource's state, it still updates the resource ETag."
  it('renews a version etag on a no-op enable, so a stale disable fails', async () => {
    await createSecret('noop');
    const v = await addVersion('noop', 'one');
    const [enabled] = await client.enableSecretVersion({ name: vname('noop', 1), etag: v.etag }, NO_RETRY);
    expect(enabled.etag).not.toBe(v.etag);
    expect(await outcome(client.disableSecretVersion({ name: vname('noop', 1), etag: v.etag }, NO_RETRY))).toBe('FAILED_PRECONDITION');
    expect(await outcome(client.destroySecretVersion({ name: vname('noop', 1), etag: v.etag }, NO_RETRY))).toBe('FAILED_PRECONDITION');
    expect(await outcome(client.disableSecretVersion({ name: vname('noop', 1), etag: enabled.etag }, NO_RETRY))).toBe('OK');
  });
});

describe('GCP Secret Manager double: version aliases and updates', () => {
  // https://cloud.google.com/secret-manager/docs/assign-alias-to-secret-version; Secret.version_aliases (resources.proto)
  it('resolves version aliases on GetSecretVersion and AccessSecretVersion', async () => {
    const s = await createSecret('aliased');
    await addVersion('aliased', 'one');
    await addVersion('aliased', 'two');
    const [u] = await client.updateSecret({ secret: { name: s.name, versionAliases: { current: 1, next: 2 } }, updateMask: { paths: ['version_aliases'] } }, NO_RETRY);
    expect(u.versionAliases).toEqual({ current: '1', next: '2' });
    const r = await access(vname('aliased', 'current'));
    expect(r.name).toBe(vname('aliased', 1));
    expect(Buffer.from(r.payload?.data ?? new Uint8Array()).toString()).toBe('one');
    const [meta] = await client.getSecretVersion({ name: vname('aliased', 'next') }, NO_RETRY);
    expect(meta.name).toBe(vname('aliased', 2));
    expect(await outcome(access(vname('aliased', 'nosuchalias')))).toBe('NOT_FOUND');
  });

  // "An alias string must start with a letter and cannot be the string 'latest' or 'NEW'"; at most 50 aliases
  it('refuses invalid alias names, too many aliases, and aliases to versions that do not exist (assumption)', async () => {
    const s = await createSecret('bad-alias');
    await addVersion('bad-alias', 'one');
    const set = (versionAliases: Record<string, number>) => client.updateSecret({ secret: { name: s.name, versionAliases }, updateMask: { paths: ['version_aliases'] } }, NO_RETRY);
    expect(await outcome(set({ latest: 1 }))).toBe('INVALID_ARGUMENT');
    expect(await outcome(set({ NEW: 1 }))).toBe('INVALID_ARGUMENT');
    expect(await outcome(set({ '1st': 1 }))).toBe('INVALID_ARGUMENT');
    expect(await outcome(set({ ['a'.repeat(64)]: 1 }))).toBe('INVALID_ARGUMENT');
    expect(await outcome(set(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`a${i}`, 1]))))).toBe('INVALID_ARGUMENT');
    expect(await outcome(set({ current: 7 }))).toBe('INVALID_ARGUMENT');
    expect(await outcome(set({ current: 1 }))).toBe('OK');
  });

  // UpdateSecretRequest.update_mask is required; Secret.replication is immutable; map fields are replaced whole
  it('applies update_mask exactly: required, whole maps replaced, immutable and unknown fields refused', async () => {
    const s = await createSecret('masked', { ...automatic, labels: { a: '1', b: '2' }, annotations: { keep: 'me' } });
    expect(await outcome(client.updateSecret({ secret: { name: s.name, labels: {} } }, NO_RETRY))).toBe('INVALID_ARGUMENT');
    expect(await outcome(client.updateSecret({ secret: { name: s.name, ...automatic }, updateMask: { paths: ['replication'] } }, NO_RETRY))).toBe('INVALID_ARGUMENT');
    expect(await outcome(client.updateSecret({ secret: { name: s.name }, updateMask: { paths: ['no_such_field'] } }, NO_RETRY))).toBe('INVALID_ARGUMENT');
    const [u] = await client.updateSecret({ secret: { name: s.name, labels: { c: '3' }, annotations: { ignored: 'x' } }, updateMask: { paths: ['labels'] } }, NO_RETRY);
    expect(u.labels).toEqual({ c: '3' });
    expect(u.annotations).toEqual({ keep: 'me' });
    // A failing path leaves every field unchanged.
    expect(await outcome(client.updateSecret({ secret: { name: s.name, labels: { d: '4' }, annotations: { '-bad': 'x' } }, updateMask: { paths: ['labels', 'annotations'] } }, NO_RETRY))).toBe('INVALID_ARGUMENT');
    const [after] = await client.getSecret({ name: s.name }, NO_RETRY);
    expect(after.labels).toEqual({ c: '3' });
  });
});

describe('GCP Secret Manager double: listing', () => {
  // ListSecretsResponse: "sorted in reverse by create_time (newest first)"; total_size "0 when the filter is set"
  it('lists secrets newest first, page by page, with total_size', async () => {
    for (const id of ['s1', 's2', 's3', 's4', 's5']) await createSecret(id);
    const names: string[] = [];
    let token = '';
    for (let i = 0; i < 5; i++) {
      const [items, , raw] = await client.listSecrets({ parent, pageSize: 2, pageToken: token }, { ...NO_RETRY, autoPaginate: false });
      names.push(...items.map((s) => s.name?.split('/').pop() ?? ''));
      expect(raw?.totalSize).toBe(5);
      token = raw?.nextPageToken ?? '';
      if (token === '') break;
    }
    expect(names).toEqual(['s5', 's4', 's3', 's2', 's1']);
  });

  // ListSecretsRequest.page_size: 0 lets the server decide, above 25000 is capped; negative is invalid;
  // a page token only continues the query it came from
  it('validates page_size and page tokens', async () => {
    await createSecret('p1');
    await createSecret('p2');
    expect(await outcome(client.listSecrets({ parent, pageSize: -1 }, { ...NO_RETRY, autoPaginate: false }))).toBe('INVALID_ARGUMENT');
    expect((await client.listSecrets({ parent, pageSize: 0 }, { ...NO_RETRY, autoPaginate: false }))[0]).toHaveLength(2);
    expect((await client.listSecrets({ parent, pageSize: 100_000 }, { ...NO_RETRY, autoPaginate: false }))[0]).toHaveLength(2);
    const [, , raw] = await client.listSecrets({ parent, pageSize: 1 }, { ...NO_RETRY, autoPaginate: false });
    expect(await outcome(client.listSecrets({ parent, pageSize: 1, pageToken: 'garbage!' }, { ...NO_RETRY, autoPaginate: false }))).toBe('INVALID_ARGUMENT');
    expect(await outcome(client.listSecrets({ parent, pageSize: 1, pageToken: raw?.nextPageToken ?? '', filter: 'name:p' }, { ...NO_RETRY, autoPaginate: false }))).toBe('INVALID_ARGUMENT');
  });

  // https://cloud.google.com/secret-manager/docs/filtering: `name:` is a substring match, `*` a wildcard; labels.KEY=VALUE
  it('filters by name substring, wildcard and label, and refuses what it does not implement', async () => {
    await createSecret('app_2Fdb', { ...automatic, labels: { env: 'prod' } });
    await createSecret('app_2Fapi', { ...automatic, labels: { env: 'dev' } });
    await createSecret('other_2Fapp');
    await createSecret('apikey-production');
    const ids = async (filter: string) =>
      (await client.listSecrets({ parent, filter }, { ...NO_RETRY, autoPaginate: false }))[0].map((s) => s.name?.split('/').pop()).sort();
    expect(await ids('name:app_2F')).toEqual(['app_2Fapi', 'app_2Fdb']);
    expect(await ids('name:app')).toEqual(['app_2Fapi', 'app_2Fdb', 'other_2Fapp']);
    expect(await ids('name:apikey*production')).toEqual(['apikey-production']);
    expect(await ids('labels.env=prod')).toEqual(['app_2Fdb']);
    expect(await ids('name:app_2F AND labels.env=dev')).toEqual(['app_2Fapi']);
    const [, , raw] = await client.listSecrets({ parent, filter: 'name:app' }, { ...NO_RETRY, autoPaginate: false });
    expect(raw?.totalSize).toBe(0);
    expect(await outcome(ids('name:app OR name:other'))).toBe('INVALID_ARGUMENT');
    expect(await outcome(ids('create_time>2021-01-01T00:00:00Z'))).toBe('INVALID_ARGUMENT');
  });
});

describe('GCP Secret Manager double: faults and unimplemented features', () => {
  // https://cloud.google.com/secret-manager/quotas: over quota → RESOURCE_EXHAUSTED (HTTP 429), with RetryInfo
  // (https://cloud.google.com/apis/design/errors#error_details)
  it('injects throttling with a RetryInfo hint the client decodes', async () => {
    await createSecret('throttled');
    double.faults.throttle({ retryDelayMs: 1500, times: 1, methods: ['GetSecret'] });
    const err: unknown = await client.getSecret({ name: `${parent}/secrets/throttled` }, NO_RETRY).then(() => null, (e: unknown) => e);
    expect(typeof err === 'object' && err !== null && 'code' in err ? err.code : null).toBe(status.RESOURCE_EXHAUSTED);
    const details = typeof err === 'object' && err !== null && 'statusDetails' in err && Array.isArray(err.statusDetails) ? err.statusDetails : [];
    expect(JSON.stringify(details)).toContain('"retryDelay":{"seconds":"1","nanos":500000000}');
    expect(await outcome(client.getSecret({ name: `${parent}/secrets/throttled` }, NO_RETRY))).toBe('OK');
  });

  it('injects unavailability and latency, and sees the client cancel a slow call', async () => {
    await createSecret('slow');
    double.faults.unavailable({ times: 1 });
    expect(await outcome(client.getSecret({ name: `${parent}/secrets/slow` }, NO_RETRY))).toBe('UNAVAILABLE');
    double.faults.latency(2000, { methods: ['GetSecret'], times: 1 });
    expect(await outcome(client.getSecret({ name: `${parent}/secrets/slow` }, { ...NO_RETRY, timeout: 100 }))).toBe('DEADLINE_EXCEEDED');
    await expect.poll(() => double.faults.cancelled.GetSecret ?? 0).toBe(1);
  });

  it('answers UNIMPLEMENTED for features Keygate does not use', async () => {
    expect(await outcome(client.createSecret({ parent: `${parent}/locations/europe-west1`, secretId: 'r', secret: automatic }, NO_RETRY))).toBe('UNIMPLEMENTED');
    expect(await outcome(createSecret('ttl', { ...automatic, ttl: { seconds: 60 } }))).toBe('UNIMPLEMENTED');
    expect(await outcome(client.getIamPolicy({ resource: `${parent}/secrets/x` }, NO_RETRY))).toBe('UNIMPLEMENTED');
  });
});
