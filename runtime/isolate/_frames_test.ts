import assert from "node:assert/strict";
import {
  encodeFrame,
  FrameReader,
  FrameTag,
  MAX_FRAME_BYTES,
} from "./_frames.ts";

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const MESSAGE = {
  type: "done",
  id: 7,
  heapBytes: 2 ** 40,
  offset: 12345678901234567890n,
  result: {
    outData: new Uint8Array([1, 2, 3, 255]),
    outLens: new Int32Array([1, -3]),
    stores: ["db", ""],
    extra: null,
    nested: { deeper: [1, { bytes: new Uint8Array(0) }, undefined, true] },
  },
};

Deno.test("encodeFrame() and FrameReader round-trip typed arrays, bigints and nested objects however the bytes are split", () => {
  const stream = join([
    ...encodeFrame(FrameTag.init, { name: "f" }),
    ...encodeFrame(FrameTag.message, MESSAGE),
    ...encodeFrame(FrameTag.error, "boom"),
  ]);
  const splits = [
    [stream],
    Array.from(stream, (byte) => new Uint8Array([byte])),
    [stream.subarray(0, 5), stream.subarray(5, 40), stream.subarray(40)],
  ];
  for (const chunks of splits) {
    const reader = new FrameReader();
    const frames = chunks.flatMap((chunk) => reader.push(chunk));
    assert.deepEqual(frames.map((f) => f.tag), [
      FrameTag.init,
      FrameTag.message,
      FrameTag.error,
    ]);
    assert.deepEqual(frames[0].value, { name: "f" });
    assert.deepEqual(frames[1].value, MESSAGE);
    const result = (frames[1].value as typeof MESSAGE).result;
    assert.ok(result.outData instanceof Uint8Array);
    assert.ok(result.outLens instanceof Int32Array);
    assert.equal(frames[2].value, "boom");
  }
});

Deno.test("encodeFrame() joins a small payload to its header and leaves a large one apart", () => {
  assert.equal(encodeFrame(FrameTag.message, { a: 1 }).length, 1);
  const big = new Uint8Array(1 << 20);
  const parts = encodeFrame(FrameTag.message, big);
  assert.equal(parts.length, 2);
  assert.equal(parts[0].length, 8);
  const [frame] = new FrameReader().push(join(parts));
  assert.deepEqual(frame.value, big);
});

Deno.test("FrameReader refuses bytes that are not a frame, naming them", () => {
  const reader = new FrameReader();
  assert.throws(
    () => reader.push(new TextEncoder().encode("Loading pyodide...\n")),
    (e) =>
      e instanceof TypeError && /frame marker.*Loading pyodide/.test(e.message),
  );
});

/** A frame header ("FSF", tag, length) for a payload of `length` bytes. */
function header(length: number): Uint8Array {
  const bytes = new Uint8Array([
    0x46,
    0x53,
    0x46,
    FrameTag.message,
    0,
    0,
    0,
    0,
  ]);
  new DataView(bytes.buffer).setUint32(4, length, true);
  return bytes;
}

Deno.test("FrameReader refuses a frame longer than MAX_FRAME_BYTES before buffering it", () => {
  const bytes = header(MAX_FRAME_BYTES + 1);
  assert.throws(
    () => new FrameReader().push(bytes),
    (e) => e instanceof RangeError && /frame limit/.test(e.message),
  );
});

Deno.test("FrameReader reports a payload it cannot deserialize and reads on", () => {
  const reader = new FrameReader();
  const frames = reader.push(
    join([header(3), new Uint8Array([0xff, 0x0f, 0x99]), ...encodeFrame(1, 5)]),
  );
  assert.equal(frames.length, 2);
  assert.ok(frames[0].error !== undefined);
  assert.equal(frames[1].value, 5);
});
