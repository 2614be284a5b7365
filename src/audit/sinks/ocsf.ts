/**
 * Keygate audit records as OCSF 1.1.0 API Activity events (class 6003, category 6,
 * Application Activity), for SIEMs that normalise on OCSF (AWS Security Lake, Splunk,
 * Sentinel, …). Only the fields OCSF defines are mapped; everything else, the HMAC'd
 * request and response data and the chain fields included, travels in `unmapped`, so
 * nothing is lost and the chain can still be followed. Runtime-neutral.
 */

import type { JsonObject, JsonValue } from '../../core/index.js';

/** The OCSF schema version the mapping follows. */
export const OCSF_VERSION = '1.1.0';

const CLASS_UID = 6003;
const CATEGORY_UID = 6;

/** OCSF API Activity `activity_id`s. */
const ACTIVITY = { create: 1, read: 2, update: 3, delete: 4, other: 99 } as const;
const ACTIVITY_NAMES: Record<number, string> = { 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 99: 'Other' };

/**
 * The activity of a Keygate operation: reads and lists are Read; writes that change an
 * existing secret (update, patch, rotate, undelete, metadata writes) are Update; delete,
 * destroy and metadata deletion are Delete; anything else (login, sys operations) is Other.
 */
export function activityOf(operation: unknown): number {
  switch (operation) {
    case 'create':
      return ACTIVITY.create;
    case 'read':
    case 'list':
    case 'read-metadata':
      return ACTIVITY.read;
    case 'update':
    case 'patch':
    case 'rotate':
    case 'undelete':
    case 'write-metadata':
    case 'patch-metadata':
      return ACTIVITY.update;
    case 'delete':
    case 'destroy':
    case 'delete-metadata':
      return ACTIVITY.delete;
    default:
      return ACTIVITY.other;
  }
}

const obj = (value: JsonValue | undefined): JsonObject | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? value : null;
const str = (value: JsonValue | undefined): string | null => (typeof value === 'string' ? value : null);

/**
 * Maps one audit record to an OCSF API Activity event. Fields absent from the record are
 * left out. `status_id`: Failure (2) when the record carries an error, Success (1) for a
 * response record without one, Unknown (0) for a request record without one (it is written
 * before the backend runs, so its outcome is not known yet).
 */
export function toOcsfApiActivity(record: JsonObject): JsonObject {
  const activityId = activityOf(record.operation);
  const activityName = ACTIVITY_NAMES[activityId] ?? 'Other';
  const error = obj(record.error);
  const errorCode = error === null ? null : str(error.code);
  const response = obj(record.response);
  const auth = obj(record.auth);
  const mount = obj(record.mount);

  const statusId = errorCode !== null ? 2 : record.type === 'response' ? 1 : 0;
  const event: JsonObject = {
    class_uid: CLASS_UID,
    class_name: 'API Activity',
    category_uid: CATEGORY_UID,
    category_name: 'Application Activity',
    activity_id: activityId,
    activity_name: activityName,
    type_uid: CLASS_UID * 100 + activityId,
    type_name: `API Activity: ${activityName}`,
    severity_id: 1,
    severity: 'Informational',
    status_id: statusId,
    status: statusId === 2 ? 'Failure' : statusId === 1 ? 'Success' : 'Unknown',
  };
  if (errorCode !== null) event.status_code = errorCode;

  const time = str(record.time);
  const ms = time === null ? Number.NaN : Date.parse(time);
  if (!Number.isNaN(ms)) event.time = ms;

  const api: JsonObject = {};
  const operation = str(record.operation);
  if (operation !== null) api.operation = operation;
  const requestId = str(record.request_id);
  if (requestId !== null) api.request = { uid: requestId };
  if (response !== null || errorCode !== null) {
    const apiResponse: JsonObject = {};
    if (response !== null && typeof response.status === 'number') apiResponse.code = response.status;
    if (errorCode !== null) apiResponse.error = errorCode;
    api.response = apiResponse;
  }
  event.api = api;

  const srcEndpoint: JsonObject = {};
  const ip = str(record.client_address);
  if (ip !== null) srcEndpoint.ip = ip;
  event.src_endpoint = srcEndpoint;

  const actor: JsonObject = {};
  if (auth !== null) {
    const user: JsonObject = {};
    const uid = str(auth.principal_id);
    const name = str(auth.display_name);
    if (uid !== null) user.uid = uid;
    if (name !== null) user.name = name;
    actor.user = user;
  }
  event.actor = actor;

  const path = str(record.path);
  if (path !== null) {
    const resource: JsonObject = { uid: path, name: path, type: 'secret' };
    if (mount !== null) {
      const mountPath = str(mount.path);
      const mountType = str(mount.type);
      if (mountPath !== null) resource.group = { name: mountPath };
      if (mountType !== null) resource.type = mountType;
    }
    event.resources = [resource];
  }

  const metadata: JsonObject = {
    product: { name: 'Keygate', vendor_name: 'Keygate' },
    version: OCSF_VERSION,
  };
  const hash = str(record.hash);
  if (hash !== null) metadata.uid = hash;
  if (requestId !== null) metadata.correlation_uid = requestId;
  if (typeof record.seq === 'number') metadata.sequence = record.seq;
  const device = str(record.device);
  if (device !== null) metadata.log_name = device;
  event.metadata = metadata;

  // Everything OCSF has no field for, verbatim: HMAC'd data, policies, chain fields.
  const mapped = new Set(['operation', 'time', 'request_id', 'client_address', 'path', 'error']);
  const unmapped: JsonObject = {};
  for (const [key, value] of Object.entries(record)) {
    if (!mapped.has(key)) unmapped[key] = value;
  }
  event.unmapped = unmapped;
  return event;
}
