/**
 * Secret material travels in a `Sensitive` wrapper (ARCHITECTURE.md, decision 11): its
 * JSON, string and inspect forms are `[redacted]`, so a stray `JSON.stringify`, template
 * literal or logger call cannot leak it. Only the response writer (`revealingStringify`)
 * and code that must compute on the value (`reveal()`) see what is inside.
 */

const REDACTED = '[redacted]';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

export class Sensitive<T> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  /** The wrapped value. Call only where the value must be used, never to log it. */
  reveal(): T {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspectSymbol](): string {
    return REDACTED;
  }
}

/** Wraps a value as sensitive. */
export function sensitive<T>(value: T): Sensitive<T> {
  return new Sensitive(value);
}

/**
 * `JSON.stringify` that writes the real value of every `Sensitive` it meets, at any depth.
 * JSON.stringify calls `toJSON` before the replacer, so the replacer looks the original up
 * on its holder.
 */
export function revealingStringify(value: unknown, space?: number): string {
  return JSON.stringify(
    value,
    function replacer(this: Record<string, unknown>, key: string, current: unknown) {
      const original = this[key];
      return original instanceof Sensitive ? original.reveal() : current;
    },
    space,
  );
}
