/**
 * The runtime-neutral surface of the audit sinks: the HTTP sink (over `fetch`), the OCSF
 * mapping, the queued-delivery engine and the shared contracts. The Node-only sinks (file,
 * stdout, syslog) and the spool, with the full registry, are in `index.node.ts`.
 */

export { createHttpSink, encodeHttpEntry, endpointUrl, httpSinkOptionsSchema } from './http.js';
export type { HttpSinkOptions } from './http.js';
export { OCSF_VERSION, activityOf, toOcsfApiActivity } from './ocsf.js';
export { createQueuedSink, recordFromLine } from './delivery.js';
export type { QueueSettings, QueuedSinkOptions } from './delivery.js';
export { SinkError, TransportError } from './common.js';
export type { SinkErrorKind } from './common.js';
export { SYSLOG_FACILITIES, formatRfc5424, octetCounted } from './syslog-format.js';
export type { SyslogFacility } from './syslog-format.js';
export type { EncodedEntry, SinkDeps, Spool, Transport } from './types.js';
