/**
 * Sets an own, enumerable member even when the key is `__proto__`: plain assignment would
 * call the prototype setter instead, silently dropping a member a client sent.
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
