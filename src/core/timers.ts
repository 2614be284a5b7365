/** A timer that does not keep a Node process alive on its own; a no-op where timers are plain numbers (Workers). Returns the timer. */
export function unrefTimer<T>(timer: T): T {
  if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function') timer.unref();
  return timer;
}
