import type { Logger } from '../../src/core/index.js';

/** A Logger that keeps every line as the JSON text a real logger would write, for canary searches. */
export function createCaptureLogger(lines: string[] = [], bindings: Record<string, unknown> = {}): Logger & { lines: string[] } {
  const write = (level: string) => (objOrMsg: object | string, msg?: string) => {
    const obj = typeof objOrMsg === 'string' ? { msg: objOrMsg } : { ...objOrMsg, msg };
    lines.push(JSON.stringify({ level, ...bindings, ...obj }));
  };
  return {
    lines,
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => createCaptureLogger(lines, { ...bindings, ...more }),
  };
}
