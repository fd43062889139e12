import assert from "node:assert/strict";
import { readLines } from "./line_reader.ts";

async function collect(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of readLines(stream)) lines.push(line);
  return lines;
}

Deno.test("readLines() splits on LF and CRLF across chunk boundaries and keeps a last unterminated line", async () => {
  const bytes = new TextEncoder().encode("a\r\nbé\n\nlast");
  // One byte per chunk: 'é' is split across two chunks.
  const stream = ReadableStream.from(
    [...bytes].map((b) => new Uint8Array([b])),
  );
  assert.deepEqual(await collect(stream), ["a", "bé", "", "last"]);
});

Deno.test("readLines() yields nothing for an empty stream and releases the lock when stopped early", async () => {
  assert.deepEqual(await collect(ReadableStream.from<Uint8Array>([])), []);
  const stream = ReadableStream.from([new TextEncoder().encode("1\n2\n3\n")]);
  for await (const line of readLines(stream)) {
    assert.equal(line, "1");
    break;
  }
  assert.equal(stream.locked, false);
});
