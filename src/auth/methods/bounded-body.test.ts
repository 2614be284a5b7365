import { describe, expect, it } from 'vitest';
import { BodyTooLargeError, readBoundedBytes, readBoundedJson } from './bounded-body.js';

function streamed(parts: string[], headers: Record<string, string> = {}): Response {
  const encoder = new TextEncoder();
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const part = parts[pulled++];
      if (part === undefined) controller.close();
      else controller.enqueue(encoder.encode(part));
    },
  });
  return new Response(stream, { headers });
}

describe('bounded bodies', () => {
  it('reads a body within the cap', async () => {
    expect(await readBoundedJson(streamed(['{"a":', '1}']), 100)).toEqual({ a: 1 });
    expect((await readBoundedBytes(new Response(null), 10)).length).toBe(0);
  });

  it('refuses a body that grows past the cap, whatever it declared', async () => {
    await expect(readBoundedBytes(streamed(['x'.repeat(60), 'x'.repeat(60)]), 100)).rejects.toBeInstanceOf(BodyTooLargeError);
  });

  it('refuses a declared length past the cap before reading', async () => {
    await expect(readBoundedBytes(streamed(['x'], { 'content-length': '1000' }), 100)).rejects.toBeInstanceOf(BodyTooLargeError);
  });

  it('throws for text that is not JSON', async () => {
    await expect(readBoundedJson(streamed(['{nope']), 100)).rejects.toBeInstanceOf(SyntaxError);
  });
});
