import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/index.js';
import { OCSF_VERSION, activityOf, toOcsfApiActivity } from './ocsf.js';

const auth = { accessor_hmac: 'hmac-sha256:ac', principal_id: 'ent-42', display_name: 'approle-billing', policies: ['default', 'billing'], metadata: { role_name: 'billing' } };
const chain = { device: 'siem', segment: 'seg-9', seq: 17, prev_hash: 'p'.repeat(64), hash: 'h'.repeat(64) };

const requestRecord: JsonObject = {
  type: 'request',
  time: '2026-11-23T01:02:03.456Z',
  request_id: 'req-abc',
  operation: 'update',
  path: 'aws/prod/db',
  mount: { path: 'aws/', type: 'aws-secrets-manager' },
  client_address: '198.51.100.7',
  auth,
  request: { data: { password: 'hmac-sha256:0a0b' }, params: { cas: 'hmac-sha256:0c' } },
  ...chain,
};

describe('OCSF API Activity mapping', () => {
  it('maps a request record: class, activity, time, api, actor, endpoint, resource, metadata, unmapped', () => {
    const event = toOcsfApiActivity(requestRecord);
    expect(event).toMatchObject({
      class_uid: 6003,
      class_name: 'API Activity',
      category_uid: 6,
      category_name: 'Application Activity',
      activity_id: 3,
      activity_name: 'Update',
      type_uid: 600303,
      severity_id: 1,
      time: Date.parse('2026-11-23T01:02:03.456Z'),
      // Written before the backend runs: the outcome is not known yet.
      status_id: 0,
      status: 'Unknown',
      api: { operation: 'update', request: { uid: 'req-abc' } },
      src_endpoint: { ip: '198.51.100.7' },
      actor: { user: { uid: 'ent-42', name: 'approle-billing' } },
      resources: [{ uid: 'aws/prod/db', name: 'aws/prod/db', type: 'aws-secrets-manager', group: { name: 'aws/' } }],
      metadata: { product: { name: 'Keygate', vendor_name: 'Keygate' }, version: OCSF_VERSION, uid: chain.hash, correlation_uid: 'req-abc', sequence: 17, log_name: 'siem' },
    });
    expect(OCSF_VERSION).toBe('1.1.0');
    expect(event.status_code).toBeUndefined();
    // The HMAC'd data and the chain fields travel unchanged.
    expect(event.unmapped).toEqual({
      type: 'request',
      mount: requestRecord.mount,
      auth,
      request: requestRecord.request,
      ...chain,
    });
  });

  it('maps a response record: success, or failure with the error code', () => {
    const ok = toOcsfApiActivity({ ...requestRecord, type: 'response', operation: 'read', response: { status: 200, data: { value: 'hmac-sha256:ff' } } });
    expect(ok).toMatchObject({ activity_id: 2, activity_name: 'Read', type_uid: 600302, status_id: 1, status: 'Success', api: { response: { code: 200 } } });
    expect((ok.unmapped as JsonObject).response).toEqual({ status: 200, data: { value: 'hmac-sha256:ff' } });

    const failed = toOcsfApiActivity({ ...requestRecord, type: 'response', operation: 'delete', response: { status: 403, data: null }, error: { code: 'ERR_PERMISSION_DENIED' } });
    expect(failed).toMatchObject({
      activity_id: 4,
      status_id: 2,
      status: 'Failure',
      status_code: 'ERR_PERMISSION_DENIED',
      api: { response: { code: 403, error: 'ERR_PERMISSION_DENIED' } },
    });
  });

  it('maps operations to activities and leaves out what a record lacks', () => {
    expect(['create', 'read', 'list', 'update', 'patch', 'rotate', 'delete', 'destroy', 'login', undefined].map(activityOf)).toEqual([1, 2, 2, 3, 3, 3, 4, 4, 99, 99]);
    const bare = toOcsfApiActivity({ type: 'checkpoint', time: 'not a time', seq: 3, hash: 'x' });
    expect(bare).toMatchObject({ class_uid: 6003, activity_id: 99, status_id: 0, src_endpoint: {}, actor: {}, api: {} });
    expect(bare.time).toBeUndefined();
    expect(bare.resources).toBeUndefined();
    expect(bare.unmapped).toEqual({ type: 'checkpoint', seq: 3, hash: 'x' });
  });
});
