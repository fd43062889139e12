import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import Encoder from "kafkajs/src/protocol/encoder.js";
import RecordBatchModule from "kafkajs/src/protocol/recordBatch/v0/index.js";
import Record from "kafkajs/src/protocol/recordBatch/record/v0/index.js";
import { installFastKafkaEncoder, STOCK } from "./_kafkajs_encoder.ts";

// kafkajs's protocol internals are untyped CommonJS.
// deno-lint-ignore no-explicit-any
type Any = any;
const KafkaEncoder = Encoder as Any;
const { RecordBatch } = RecordBatchModule as Any;

installFastKafkaEncoder();
const FAST = {
  writeUVarInt: KafkaEncoder.prototype.writeUVarInt,
  writeVarLong: KafkaEncoder.prototype.writeVarLong,
  writeEncoderArray: KafkaEncoder.prototype.writeEncoderArray,
  sizeOfVarLong: KafkaEncoder.sizeOfVarLong,
};

/** Runs `fn` with kafkajs's stock Encoder methods, then puts the fast ones back. */
async function withStock<T>(fn: () => T | Promise<T>): Promise<T> {
  Object.assign(KafkaEncoder.prototype, {
    writeUVarInt: STOCK.writeUVarInt,
    writeVarLong: STOCK.writeVarLong,
    writeEncoderArray: STOCK.writeEncoderArray,
  });
  KafkaEncoder.sizeOfVarLong = STOCK.sizeOfVarLong;
  try {
    return await fn();
  } finally {
    Object.assign(KafkaEncoder.prototype, {
      writeUVarInt: FAST.writeUVarInt,
      writeVarLong: FAST.writeVarLong,
      writeEncoderArray: FAST.writeEncoderArray,
    });
    KafkaEncoder.sizeOfVarLong = FAST.sizeOfVarLong;
  }
}

function bytes(write: (encoder: Any) => void): number[] {
  const encoder = new KafkaEncoder();
  write(encoder);
  return [...encoder.buffer];
}

/** Edge values around each LEB128 length, the 32-bit and 2^51 limits, and random ones. */
function samples(): unknown[] {
  const values: unknown[] = [0, 1, -1, 1.5, -2.5, NaN];
  for (let bits = 1; bits <= 54; bits++) {
    const p = 2 ** bits;
    values.push(p - 1, p, p + 1, -p, -p + 1, -p - 1);
  }
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 2000; i++) {
    const magnitude = 2 ** Math.floor(random() * 53);
    values.push(Math.floor((random() - 0.5) * 2 * magnitude));
  }
  values.push("12345", "-9007199254740993", Number.MAX_SAFE_INTEGER);
  return values;
}

Deno.test("fast Encoder.writeUVarInt() and writeVarInt() write the stock bytes", async () => {
  const values = samples().filter((v) => typeof v === "number") as number[];
  const fast = values.map((v) =>
    bytes((e) => e.writeUVarInt(v).writeVarInt(v))
  );
  const stock = await withStock(() =>
    values.map((v) => bytes((e) => e.writeUVarInt(v).writeVarInt(v)))
  );
  assert.deepEqual(fast, stock);
});

Deno.test("fast Encoder.writeVarLong() and sizeOfVarLong() match the stock ones, 64-bit values included", async () => {
  const values = samples();
  // Non-integers make the stock methods throw; the fast ones must too.
  const outcome = <T>(fn: () => T): T | string => {
    try {
      return fn();
    } catch (error) {
      return `throws ${(error as Error).name}`;
    }
  };
  const run = () =>
    values.map((v) => ({
      written: outcome(() => bytes((e) => e.writeVarLong(v))),
      size: outcome(() => KafkaEncoder.sizeOfVarLong(v)),
    }));
  const fast = run();
  assert.deepEqual(fast, await withStock(run));
  const written = fast.filter((f) => Array.isArray(f.written));
  assert.ok(written.length > 2000);
  for (const f of written) assert.equal((f.written as number[]).length, f.size);
});

Deno.test("fast Encoder.writeEncoderArray() concatenates the same bytes and still rejects non-encoders", async () => {
  const parts = () =>
    ["a", "", "ccc".repeat(300)].map((s) => new KafkaEncoder(1).writeString(s));
  const fast = bytes((e) => e.writeEncoderArray(parts()));
  assert.deepEqual(
    fast,
    await withStock(() => bytes((e) => e.writeEncoderArray(parts()))),
  );
  assert.throws(() => new KafkaEncoder().writeEncoderArray([{}]), /Encoder/);
  assert.throws(() => new KafkaEncoder().writeEncoderArray("x"), /Encoder/);
});

Deno.test("a record batch encodes to the stock bytes with the fast Encoder", async () => {
  const batch = async () => {
    const records = Array.from({ length: 300 }, (_, i) =>
      Record({
        offsetDelta: i,
        timestampDelta: i * 7919,
        key: i % 3 === 0 ? null : Buffer.from(`k${i}`),
        value: Buffer.from(JSON.stringify({ total: i * 1_000_003 })),
        headers: i % 5 === 0 ? { h: Buffer.from("x"), r: ["1", "2"] } : {},
      }));
    const encoded = await RecordBatch({
      records,
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_002_000,
      lastOffsetDelta: records.length - 1,
      transactional: true,
    });
    return [...encoded.buffer];
  };
  assert.deepEqual(await batch(), await withStock(batch));
});
