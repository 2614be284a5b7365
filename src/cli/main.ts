#!/usr/bin/env node
/**
 * The `keygate` command:
 * - `keygate audit verify <file>… [--public-key <base64>]` checks audit files for edits,
 *   deletions, insertions and reordering (and, with the device's public key from
 *   `GET /api/v1/sys/audit`, the signed checkpoints). Exit status: 0 when the chain is
 *   intact, 1 when it is not, 2 for a usage error.
 * - `keygate operator init|unseal|seal-status|seal` runs the seal ceremonies against a
 *   gateway's HTTP API (operator.ts).
 */

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { verifyAuditLines } from '../audit/verify.js';
import { OPERATOR_USAGE, runOperator } from './operator.js';

const USAGE = `usage: keygate audit verify <file>... [--public-key <base64>] [--json]
       keygate operator <init|unseal|seal-status|seal> ...   (keygate operator --help)

Checks audit files (in order: oldest rotated file first) for edited, deleted, inserted or
reordered records, and with --public-key (from GET /api/v1/sys/audit) the signatures on
segment starts and checkpoints.
`;

async function* linesOf(files: readonly string[]): AsyncGenerator<string> {
  for (const file of files) {
    const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of rl) yield line;
  }
}

/** One line from standard input; on a terminal, prompted and not echoed. */
async function readShare(): Promise<string | null> {
  const tty = process.stdin.isTTY;
  if (tty) process.stderr.write('Unseal share (input hidden): ');
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, ...(tty ? { output: muted, terminal: true } : {}) });
  try {
    for await (const line of rl) return line;
    return null;
  } finally {
    rl.close();
    if (tty) process.stderr.write('\n');
  }
}

export async function run(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === 'operator') {
    if (command === '--help' || command === 'help') {
      out(OPERATOR_USAGE);
      return 0;
    }
    return runOperator(argv.slice(1), { out, err, readLine: readShare, env: process.env, fetch: (url, init) => fetch(url, init) });
  }
  if (group !== 'audit' || command !== 'verify') {
    err(USAGE);
    return 2;
  }
  const files: string[] = [];
  let publicKey: string | undefined;
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    if (arg === '--public-key') publicKey = rest[++i];
    else if (arg === '--json') json = true;
    else if (arg.startsWith('-')) {
      err(`unknown option: ${arg.slice(0, 64)}\n${USAGE}`);
      return 2;
    } else files.push(arg);
  }
  if (files.length === 0 || (publicKey !== undefined && publicKey === '')) {
    err(USAGE);
    return 2;
  }
  let report;
  try {
    report = await verifyAuditLines(linesOf(files), { subtle: globalThis.crypto.subtle, ...(publicKey === undefined ? {} : { publicKey }) });
  } catch (e) {
    err(`keygate: cannot read the audit files: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  if (json) out(`${JSON.stringify(report, null, 2)}\n`);
  else {
    out(`${report.ok ? 'OK' : 'TAMPERED'}: ${report.records} records, ${report.segments} segments, ${report.checkpoints} checkpoints${report.signaturesChecked ? ', signatures checked' : ', signatures NOT checked (pass --public-key)'}\n`);
    for (const p of report.problems) out(`  ${p.kind} at line ${p.line}${p.seq === null ? '' : ` (seq ${p.seq})`}: ${p.detail}\n`);
    for (const n of report.notes) out(`  note: ${n}\n`);
  }
  return report.ok ? 0 : 1;
}

const invoked = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invoked) {
  run(process.argv.slice(2), (s) => process.stdout.write(s), (s) => process.stderr.write(s)).then(
    (code) => process.exit(code),
    () => process.exit(2),
  );
}
