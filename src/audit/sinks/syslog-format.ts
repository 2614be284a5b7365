/**
 * RFC 5424 syslog messages and RFC 6587 octet-counted framing, runtime-neutral. The MSG part
 * is the record's JSON line as it is (JSON text never holds a raw newline, so a line is one
 * message whatever the framing).
 */

import { utf8ByteLength } from '../../core/index.js';

/** RFC 5424 facility codes by name. */
export const SYSLOG_FACILITIES = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  security: 13,
  console: 14,
  'solaris-cron': 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;

/** A facility name. */
export type SyslogFacility = keyof typeof SYSLOG_FACILITIES;

/** Severity `info` (6): audit records are routine events. */
export const SEVERITY_INFO = 6;

/** What one message carries besides its MSG. */
export interface SyslogHeader {
  facility: SyslogFacility;
  severity: number;
  /** RFC 3339 timestamp, or null for NILVALUE. */
  timestamp: string | null;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
}

const TIMESTAMP = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})$/;

/**
 * A header field as RFC 5424 allows it: printable US-ASCII without spaces, at most `max`
 * characters; anything else, or nothing, is the NILVALUE `-`.
 */
export function headerField(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** The record's own time when it is a valid RFC 5424 TIMESTAMP (≤ 6 fraction digits), else null. */
export function syslogTimestamp(value: unknown): string | null {
  return typeof value === 'string' && TIMESTAMP.test(value) ? value : null;
}

/** `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG` (no structured data). */
export function formatRfc5424(header: SyslogHeader, msg: string): string {
  const pri = SYSLOG_FACILITIES[header.facility] * 8 + header.severity;
  return [
    `<${pri}>1`,
    header.timestamp ?? '-',
    headerField(header.hostname, 255),
    headerField(header.appName, 48),
    headerField(header.procId, 128),
    headerField(header.msgId, 32),
    '-',
    msg,
  ].join(' ');
}

/** RFC 6587 octet counting: `LEN SP MSG`, LEN the message's length in octets. */
export function octetCounted(message: string): string {
  return `${utf8ByteLength(message)} ${message}`;
}
