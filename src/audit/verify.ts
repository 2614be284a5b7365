/**
 * `keygate audit verify`: checks a device's records (one or more files, in order) for
 * edits, deletions, insertions and reordering, and, given the device's public key, the
 * signatures on segment starts and checkpoints. Runtime-neutral: the CLI reads the files.
 */

import { GENESIS_HASH, recordHash, signedPayload, verifySignature } from './chain.js';
import type { JsonObject } from '../core/index.js';

export type ProblemKind = 'unreadable' | 'edited' | 'deleted' | 'inserted' | 'reordered' | 'bad-signature' | 'unlinked-segment';

export interface Problem {
  kind: ProblemKind;
  /** 1-based line number in the concatenated input. */
  line: number;
  /** Sequence number where the chain breaks, when known. */
  seq: number | null;
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  records: number;
  segments: number;
  checkpoints: number;
  /** Whether signatures were checked (a public key was given). */
  signaturesChecked: boolean;
  problems: Problem[];
  /** Notes that are not failures (e.g. the input starts mid-chain after a rotation). */
  notes: string[];
}

/** At most this many problems are reported; verification goes on counting. */
const MAX_PROBLEMS = 1000;

interface Seen {
  device: string;
  segment: string;
  seq: number;
  hash: string;
}

/** Verifies records given as lines, in file order. */
export async function verifyAuditLines(lines: Iterable<string> | AsyncIterable<string>, opts: { subtle: SubtleCrypto; publicKey?: string }): Promise<VerifyReport> {
  const report: VerifyReport = { ok: true, records: 0, segments: 0, checkpoints: 0, signaturesChecked: opts.publicKey !== undefined, problems: [], notes: [] };
  const problem = (p: Problem) => {
    report.ok = false;
    if (report.problems.length < MAX_PROBLEMS) report.problems.push(p);
  };
  let previous: Seen | null = null;
  /** Last record of each segment seen, to check that a new segment links to where the last one ended. */
  const segmentEnds = new Map<string, Seen>();
  const seqsInSegment = new Map<string, Set<number>>();
  let lineNo = 0;

  for await (const raw of lines) {
    lineNo++;
    const text = raw.trim();
    if (text === '') continue;
    let record: JsonObject;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      record = parsed as JsonObject;
    } catch {
      problem({ kind: 'unreadable', line: lineNo, seq: null, detail: 'not a JSON record' });
      continue;
    }
    report.records++;
    const { hash, ...withoutHash } = record;
    const seq = typeof record.seq === 'number' ? record.seq : -1;
    const segment = typeof record.segment === 'string' ? record.segment : '';
    const device = typeof record.device === 'string' ? record.device : '';
    const prevHash = typeof record.prev_hash === 'string' ? record.prev_hash : '';
    if (typeof hash !== 'string' || (await recordHash(opts.subtle, withoutHash)) !== hash) {
      problem({ kind: 'edited', line: lineNo, seq, detail: 'the record does not match its own hash' });
    }
    const seqs = seqsInSegment.get(segment) ?? new Set<number>();
    seqsInSegment.set(segment, seqs);

    if (record.type === 'segment-start' || record.type === 'checkpoint') {
      if (record.type === 'checkpoint') report.checkpoints++;
      if (opts.publicKey !== undefined) {
        const valid =
          record.public_key === opts.publicKey &&
          typeof record.signature === 'string' &&
          (await verifySignature(opts.subtle, opts.publicKey, signedPayload({ type: String(record.type), device, segment, seq, prev_hash: prevHash }), record.signature));
        if (!valid) problem({ kind: 'bad-signature', line: lineNo, seq, detail: `the ${String(record.type)} signature does not verify with the given public key` });
      }
    }

    if (record.type === 'segment-start') {
      report.segments++;
      if (seq !== 1 || prevHash !== GENESIS_HASH) problem({ kind: 'edited', line: lineNo, seq, detail: 'a segment must start at seq 1 from the genesis hash' });
      const link = record.previous as { segment?: string; seq?: number; hash?: string } | null | undefined;
      if (link && typeof link.segment === 'string') {
        const end = segmentEnds.get(link.segment);
        if (end !== undefined && typeof link.seq === 'number' && end.seq < link.seq) {
          problem({ kind: 'deleted', line: lineNo, seq: end.seq + 1, detail: `segment ${link.segment} ends at seq ${end.seq} but the next segment says it reached ${link.seq}` });
        } else if (end !== undefined && end.seq === link.seq && end.hash !== link.hash) {
          problem({ kind: 'edited', line: lineNo, seq: end.seq, detail: 'the previous segment\'s last record differs from the one the new segment links to' });
        } else if (end === undefined && previous !== null) {
          report.notes.push(`line ${lineNo}: segment links to ${link.segment}, which is not in the input`);
        }
      }
    } else if (previous === null || previous.segment !== segment) {
      // The input starts mid-segment (a rotated file) or a segment continues after another one's records.
      if (previous === null) report.notes.push(`line ${lineNo}: input starts mid-chain at seq ${seq} of segment ${segment}`);
      else if (!segmentEnds.has(segment)) problem({ kind: 'unlinked-segment', line: lineNo, seq, detail: 'records of a segment with no segment start' });
    }

    if (previous !== null && previous.segment === segment && record.type !== 'segment-start') {
      if (seqs.has(seq)) problem({ kind: 'inserted', line: lineNo, seq, detail: `seq ${seq} appears twice` });
      else if (seq < previous.seq) problem({ kind: 'reordered', line: lineNo, seq, detail: `seq ${seq} follows seq ${previous.seq}` });
      else if (seq > previous.seq + 1) problem({ kind: 'deleted', line: lineNo, seq: previous.seq + 1, detail: `seq ${previous.seq + 1}..${seq - 1} missing` });
      else if (prevHash !== previous.hash) problem({ kind: 'edited', line: lineNo, seq: previous.seq, detail: `record ${previous.seq} was changed (the next record's prev_hash does not match)` });
    }
    seqs.add(seq);
    const seen: Seen = { device, segment, seq, hash: typeof hash === 'string' ? hash : '' };
    const end = segmentEnds.get(segment);
    if (end === undefined || seq > end.seq) segmentEnds.set(segment, seen);
    previous = seen;
  }
  return report;
}
