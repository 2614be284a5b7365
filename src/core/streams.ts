/** Reading Web streams under a byte cap, so a hostile peer can never make us buffer more than we allow. */

/**
 * Every byte of `stream`, or null as soon as more than `maxBytes` arrive (the stream is then
 * cancelled). Whatever the stream throws (an abort, a reset) propagates.
 */
export async function readStreamBounded(stream: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
  if (stream === null) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
