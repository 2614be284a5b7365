/**
 * The audit sink registry (Node): every sink type with its options schema and factory, and
 * `createAuditSinkFactories`, which binds them to the host's runtime and gives optional
 * network devices (http, syslog over tcp/tls) their on-disk spool.
 */

import { hostname } from 'node:os';
import type { JsonObject } from '../../core/index.js';
import { parseOrThrow } from '../../core/index.js';
import type { AuditSink, SinkContext } from '../types.js';
import { createFileSink, fileSinkOptionsSchema } from './file.node.js';
import { createHttpSink, httpSinkOptionsSchema } from './http.js';
import { createSpool } from './spool.node.js';
import { createStdoutSink, stdoutSinkOptionsSchema } from './stdout.node.js';
import { createSyslogSink, syslogSinkOptionsSchema } from './syslog.node.js';
import type { SinkDeps, Spool } from './types.js';

export * from './index.js';
export { createFileSink, fileSinkOptionsSchema, rotationStamp } from './file.node.js';
export type { FileSinkOptions } from './file.node.js';
export { createStdoutSink, stdoutSinkOptionsSchema } from './stdout.node.js';
export { createSyslogSink, syslogSinkOptionsSchema } from './syslog.node.js';
export type { SyslogSinkOptions } from './syslog.node.js';
export { createSpool, spoolOptionsSchema } from './spool.node.js';
export type { SpoolOptionsInput } from './spool.node.js';

/** Every sink type: its options schema (zod, strict) and its factory. */
export const auditSinkFactories = {
  file: { schema: fileSinkOptionsSchema, create: createFileSink },
  stdout: { schema: stdoutSinkOptionsSchema, create: createStdoutSink },
  syslog: { schema: syslogSinkOptionsSchema, create: createSyslogSink },
  http: { schema: httpSinkOptionsSchema, create: createHttpSink },
} as const;

/** A sink type name. */
export type AuditSinkType = keyof typeof auditSinkFactories;

/** A factory bound to its runtime: the shape the broker's `sinks` map takes. */
export type BoundSinkFactory = (options: JsonObject, ctx: SinkContext) => Promise<AuditSink>;

/** Opens the device's spool when it is optional, has a spool directory and a transport that can use one. */
async function spoolFor(ctx: SinkContext, limits: { max_bytes?: number | undefined; max_records?: number | undefined } | undefined): Promise<Spool | undefined> {
  if (ctx.required || ctx.spoolDir === undefined) return undefined;
  return createSpool({
    dir: ctx.spoolDir,
    ...(limits?.max_bytes === undefined ? {} : { max_bytes: limits.max_bytes }),
    ...(limits?.max_records === undefined ? {} : { max_records: limits.max_records }),
  });
}

/**
 * The registry bound to `deps`: `{ file, stdout, syslog, http }`, each taking a device's
 * options and context. Optional http and syslog (tcp, tls) devices whose context names a
 * `spoolDir` get a spool there. Each throws `ValidationError` for bad options.
 */
export function createAuditSinkFactories(deps: SinkDeps): Record<AuditSinkType, BoundSinkFactory> {
  const withSpool = async (spool: Spool | undefined, create: (spool: Spool | undefined) => Promise<AuditSink>): Promise<AuditSink> => {
    try {
      return await create(spool);
    } catch (err) {
      await spool?.close().catch(() => undefined);
      throw err;
    }
  };
  return {
    file: (options, ctx) => createFileSink(options, ctx, deps),
    stdout: (options, ctx) => createStdoutSink(options, ctx, deps),
    async syslog(options, ctx) {
      const opts = parseOrThrow(syslogSinkOptionsSchema, options, 'invalid syslog audit device options', ['options']);
      const spool = opts.transport === 'udp' ? undefined : await spoolFor(ctx, opts.spool);
      return withSpool(spool, (s) => createSyslogSink(options, ctx, { ...deps, ...(s === undefined ? {} : { spool: s }) }));
    },
    async http(options, ctx) {
      const opts = parseOrThrow(httpSinkOptionsSchema, options, 'invalid http audit device options', ['options']);
      const spool = await spoolFor(ctx, opts.spool);
      return withSpool(spool, (s) => createHttpSink(options, ctx, { ...deps, hostname: hostname(), ...(s === undefined ? {} : { spool: s }) }));
    },
  };
}
