/**
 * `keygate operator …`: the seal ceremonies from a terminal, over the gateway's HTTP API
 * (docs/seals/README.md). The CLI holds no keys: it sends what the operator gives it and
 * prints what the gateway returns once (init's shares and root token). Shares are read from
 * standard input when not given as an argument, so they need not land in shell history.
 *
 * Exit status: 0 success (seal-status: unsealed), 1 the gateway refused or could not be
 * reached, 2 usage error, 3 seal-status only: the gateway is sealed.
 */

export const OPERATOR_USAGE = `usage: keygate operator <command> [options]

  init [--key-shares N] [--key-threshold T] [--recovery-shares N] [--recovery-threshold T]
        initialise the store; prints the unseal or recovery shares and the root token ONCE
  unseal [<share>|-] [--reset] [--nonce NONCE]
        submit one unseal share (read from standard input when omitted or "-")
  seal-status
        initialised, sealed, progress of an unseal (exit 3 when sealed)
  seal  seal the gateway (needs a token with sudo on sys/seal)

options for every command:
  --addr URL     the gateway (default $KEYGATE_ADDR, else http://127.0.0.1:8080)
  --json         print the gateway's JSON answer as it is
environment: KEYGATE_ADDR, KEYGATE_TOKEN (for seal)
`;

export interface OperatorIo {
  out(s: string): void;
  err(s: string): void;
  /** The first line of standard input (a share), or null when there is none. */
  readLine(): Promise<string | null>;
  env: Readonly<Record<string, string | undefined>>;
  fetch(url: string, init: RequestInit): Promise<Response>;
}

class UsageError extends Error {}

const MAX_SHARES = 255;

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

/** Flags that take a value; every other `--flag` is boolean. */
const VALUED = new Set(['--addr', '--key-shares', '--key-threshold', '--recovery-shares', '--recovery-threshold', '--nonce']);
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  init: ['--addr', '--json', '--key-shares', '--key-threshold', '--recovery-shares', '--recovery-threshold'],
  unseal: ['--addr', '--json', '--reset', '--nonce'],
  'seal-status': ['--addr', '--json'],
  seal: ['--addr', '--json'],
};

function parse(command: string, args: readonly string[]): Parsed {
  const allowed = ALLOWED[command] ?? [];
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '-' || !arg.startsWith('-')) {
      positional.push(arg);
      continue;
    }
    const [name = '', inline] = arg.split('=', 2);
    if (!allowed.includes(name)) throw new UsageError(`unknown option for ${command}: ${name.slice(0, 64)}`);
    if (VALUED.has(name)) {
      const value = inline ?? args[++i];
      if (value === undefined || value === '') throw new UsageError(`${name} needs a value`);
      flags.set(name, value);
    } else {
      if (inline !== undefined) throw new UsageError(`${name} takes no value`);
      flags.set(name, true);
    }
  }
  return { positional, flags };
}

function count(flags: Map<string, string | true>, name: string): number | undefined {
  const value = flags.get(name);
  if (value === undefined || value === true) return undefined;
  if (!/^[0-9]{1,3}$/.test(value) || Number(value) > MAX_SHARES) throw new UsageError(`${name} must be a whole number from 0 to ${MAX_SHARES}`);
  return Number(value);
}

function baseUrl(flags: Map<string, string | true>, env: OperatorIo['env']): string {
  const flag = flags.get('--addr');
  const raw = typeof flag === 'string' ? flag : env.KEYGATE_ADDR !== undefined && env.KEYGATE_ADDR !== '' ? env.KEYGATE_ADDR : 'http://127.0.0.1:8080';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError('--addr (or KEYGATE_ADDR) must be a URL such as http://127.0.0.1:8080');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--addr must be an http or https URL');
  return url.href.replace(/\/+$/, '');
}

interface ApiAnswer {
  status: number;
  body: Record<string, unknown> | null;
}

async function call(io: OperatorIo, base: string, method: string, path: string, body?: unknown, token?: string): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await io.fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: res.status, body: typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null };
}

/** The gateway's error, as `CODE: message` (the body never carries secrets: it is the API's own error). */
function failure(answer: ApiAnswer): string {
  const error = answer.body?.error;
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    return `${String(code ?? 'ERROR')}: ${String(message ?? '')}`;
  }
  return `HTTP ${answer.status}`;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

function printStatus(io: OperatorIo, s: Record<string, unknown>): void {
  const rows: [string, unknown][] = [
    ['Seal type', s.type],
    ['Initialized', s.initialized],
    ['Sealed', s.sealed],
    ['Total shares', s.n],
    ['Threshold', s.t],
  ];
  if (s.sealed === true && Number(s.t) > 0) rows.push(['Unseal progress', `${String(s.progress)}/${String(s.t)}`], ['Unseal nonce', s.nonce === '' ? '-' : s.nonce]);
  if (s.recovery_seal === true) rows.push(['Recovery seal', true]);
  if (typeof s.cluster_id === 'string') rows.push(['Cluster id', s.cluster_id]);
  const auto = s.auto_unseal as { attempts?: number; last_error_code?: string; next_attempt_in_ms?: number | null } | undefined;
  if (auto !== undefined) rows.push(['Auto-unseal', `${String(auto.attempts)} attempts, last ${String(auto.last_error_code)}, next in ${auto.next_attempt_in_ms === null ? '-' : `${String(auto.next_attempt_in_ms)} ms`}`]);
  rows.push(['Storage', s.storage_type], ['Version', s.version]);
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) io.out(`${k.padEnd(width)}  ${String(v)}\n`);
}

async function init(io: OperatorIo, base: string, p: Parsed, json: boolean): Promise<number> {
  if (p.positional.length > 0) throw new UsageError('init takes no arguments');
  const body: Record<string, number> = {};
  const fields: [string, string][] = [
    ['--key-shares', 'secret_shares'],
    ['--key-threshold', 'secret_threshold'],
    ['--recovery-shares', 'recovery_shares'],
    ['--recovery-threshold', 'recovery_threshold'],
  ];
  for (const [flag, field] of fields) {
    const n = count(p.flags, flag);
    if (n !== undefined) body[field] = n;
  }
  const answer = await call(io, base, 'POST', '/api/v1/sys/init', body);
  if (answer.status !== 200 || answer.body === null) {
    io.err(`keygate: init failed: ${failure(answer)}\n`);
    return 1;
  }
  if (json) {
    io.out(`${JSON.stringify(answer.body, null, 2)}\n`);
    return 0;
  }
  const keys = strings(answer.body.keys);
  const recovery = strings(answer.body.recovery_keys);
  keys.forEach((k, i) => io.out(`Unseal Key ${i + 1}: ${k}\n`));
  recovery.forEach((k, i) => io.out(`Recovery Key ${i + 1}: ${k}\n`));
  io.out(`\nInitial Root Token: ${String(answer.body.root_token)}\n\n`);
  io.out(
    keys.length > 0
      ? `Keygate is initialised with ${keys.length} unseal shares. Distribute them to different people; this is the only time they are shown.\nUnseal with \`keygate operator unseal\`, once per share, up to the threshold.\n`
      : recovery.length > 0
        ? `Keygate is initialised and unsealed by its seal. The ${recovery.length} recovery shares (shown only now) authorise generate-root and unsealing after a manual seal.\n`
        : 'Keygate is initialised and unsealed by its seal. No recovery shares were made.\n',
  );
  return 0;
}

async function unseal(io: OperatorIo, base: string, p: Parsed, json: boolean): Promise<number> {
  if (p.positional.length > 1) throw new UsageError('unseal takes at most one share');
  const reset = p.flags.get('--reset') === true;
  const body: Record<string, unknown> = {};
  if (reset) {
    if (p.positional.length > 0) throw new UsageError('--reset takes no share');
    body.reset = true;
  } else {
    let key = p.positional[0];
    if (key === undefined || key === '-') key = (await io.readLine())?.trim();
    if (key === undefined || key === '') throw new UsageError('no share given (pass it as an argument, or on standard input)');
    body.key = key;
  }
  const nonce = p.flags.get('--nonce');
  if (typeof nonce === 'string') body.nonce = nonce;
  const answer = await call(io, base, 'POST', '/api/v1/sys/unseal', body);
  if (answer.status !== 200 || answer.body === null) {
    io.err(`keygate: unseal failed: ${failure(answer)}\n`);
    return 1;
  }
  if (json) io.out(`${JSON.stringify(answer.body, null, 2)}\n`);
  else printStatus(io, answer.body);
  return 0;
}

async function sealStatus(io: OperatorIo, base: string, p: Parsed, json: boolean): Promise<number> {
  if (p.positional.length > 0) throw new UsageError('seal-status takes no arguments');
  const answer = await call(io, base, 'GET', '/api/v1/sys/seal-status');
  if (answer.status !== 200 || answer.body === null) {
    io.err(`keygate: seal-status failed: ${failure(answer)}\n`);
    return 1;
  }
  if (json) io.out(`${JSON.stringify(answer.body, null, 2)}\n`);
  else printStatus(io, answer.body);
  return answer.body.sealed === true ? 3 : 0;
}

async function seal(io: OperatorIo, base: string, p: Parsed): Promise<number> {
  if (p.positional.length > 0) throw new UsageError('seal takes no arguments');
  const token = io.env.KEYGATE_TOKEN;
  if (token === undefined || token === '') throw new UsageError('seal needs a token in KEYGATE_TOKEN');
  const answer = await call(io, base, 'POST', '/api/v1/sys/seal', undefined, token);
  if (answer.status !== 204 && answer.status !== 200) {
    io.err(`keygate: seal failed: ${failure(answer)}\n`);
    return 1;
  }
  io.out('Keygate is sealed.\n');
  return 0;
}

/** Runs `keygate operator <command> …` (argv without "operator"). */
export async function runOperator(argv: readonly string[], io: OperatorIo): Promise<number> {
  const [command = '', ...rest] = argv;
  try {
    if (!(command in ALLOWED)) throw new UsageError(command === '' ? 'missing command' : `unknown command: ${command.slice(0, 32)}`);
    const p = parse(command, rest);
    const base = baseUrl(p.flags, io.env);
    const json = p.flags.get('--json') === true;
    try {
      switch (command) {
        case 'init':
          return await init(io, base, p, json);
        case 'unseal':
          return await unseal(io, base, p, json);
        case 'seal-status':
          return await sealStatus(io, base, p, json);
        default:
          return await seal(io, base, p);
      }
    } catch (e) {
      if (e instanceof UsageError) throw e;
      // Connection refused, DNS, timeout: name the address, never a share.
      io.err(`keygate: cannot reach the gateway at ${base}: ${e instanceof Error ? e.name : 'error'}${e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message.slice(0, 120)})` : ''}\n`);
      return 1;
    }
  } catch (e) {
    io.err(`keygate: ${e instanceof Error ? e.message : String(e)}\n\n${OPERATOR_USAGE}`);
    return 2;
  }
}
