/** Starts the built Node entry (`dist/gateway/node.js`) as a child process on a free loopback port. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ENTRY = path.resolve(import.meta.dirname, '../../dist/gateway/node.js');

export interface ServerProcess {
  url: string;
  proc: ChildProcess;
  /** Every stdout and stderr line so far. */
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  dataDir: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** Runs the entry to completion (for start-up failures): exit code and output. */
export function runToExit(opts: StartOptions, timeoutMs = 15_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [ENTRY, ...(opts.args ?? [])], { cwd: opts.cwd, env: childEnv(opts) });
    let output = '';
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`did not exit in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Starts the entry and resolves once it logs its listening address. */
export function startServer(opts: StartOptions, timeoutMs = 15_000): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [ENTRY, ...(opts.args ?? [])], { cwd: opts.cwd, env: childEnv(opts) });
    const output: string[] = [];
    let pending = '';
    let done = false;
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      proc.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${output.join('\n')}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        output.push(line);
        if (done) continue;
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg?.startsWith('Keygate listening on') && entry.url !== undefined) {
            done = true;
            clearTimeout(timer);
            resolve({
              url: entry.url,
              proc,
              output,
              stop: async (signal = 'SIGTERM') => {
                if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
                return exited;
              },
            });
          }
        } catch {
          // not a JSON log line
        }
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output.join('\n')}${pending}`));
    });
  });
}

function childEnv(opts: StartOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, KEYGATE_DATA_DIR: opts.dataDir, KEYGATE_LISTEN: '127.0.0.1:0', KEYGATE_LOG_LEVEL: 'info' };
  delete env.KEYGATE_CONFIG;
  Object.assign(env, opts.env);
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v === '') delete env[k];
  return env;
}
