export { auditDeviceSchema, createAuditBroker } from './broker.js';
export type { AuditBroker, AuditDeviceConfig, AuditDeviceInfo, SinkFactory } from './broker.js';
export type { AuditEvent } from './record.js';
export { createMemorySink } from './memory-sink.js';
export type { MemorySink } from './memory-sink.js';
export { verifyAuditLines } from './verify.js';
export type { Problem, ProblemKind, VerifyReport } from './verify.js';
export type { AuditSink, ChainedRecord, SinkContext, SinkCounters } from './types.js';
