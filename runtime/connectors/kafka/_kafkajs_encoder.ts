/**
 * Faster varint writing for kafkajs 2.2.4's protocol Encoder, which every
 * produced record goes through several times: the stock methods build a
 * JavaScript array and a Buffer per varint (and 64-bit math objects per
 * timestamp delta), which made record encoding the largest cost of the
 * server's main thread in the Kafka-to-Kafka benchmark. The replacements
 * write the same bytes straight into the encoder's buffer; anything outside
 * their fast path goes to the stock method. `_kafkajs_encoder_test.ts`
 * checks byte equality against the stock methods.
 * @module
 */
import Encoder from "kafkajs/src/protocol/encoder.js";

/** The parts of kafkajs's Encoder this module reads or replaces. */
interface EncoderInstance {
  buf: Uint8Array & {
    copy(target: Uint8Array, at: number, from: number, to: number): number;
  };
  offset: number;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): EncoderInstance;
  writeVarLong(value: unknown): EncoderInstance;
  writeEncoderArray(value: unknown): EncoderInstance;
}

interface EncoderClass {
  prototype: EncoderInstance;
  sizeOfVarLong(value: unknown): number;
}

const KafkaEncoder = Encoder as unknown as EncoderClass;

/** The stock methods, for the fallback and for tests. */
export const STOCK = {
  writeUVarInt: KafkaEncoder.prototype.writeUVarInt,
  writeVarLong: KafkaEncoder.prototype.writeVarLong,
  writeEncoderArray: KafkaEncoder.prototype.writeEncoderArray,
  sizeOfVarLong: KafkaEncoder.sizeOfVarLong,
} as const;

/**
 * Largest magnitude handled without 64-bit math: its zigzag value (twice
 * the magnitude) stays an exact double.
 */
const FAST_LIMIT = 2 ** 51;

/** Zigzag of a safe integer as a non-negative double, or -1 outside the fast path. */
function zigzag(value: unknown): number {
  if (
    typeof value !== "number" || !Number.isInteger(value) ||
    Math.abs(value) >= FAST_LIMIT
  ) {
    return -1;
  }
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** Same as the stock writeUVarInt: 32-bit LEB128, without an array and a Buffer per call. */
function writeUVarInt(this: EncoderInstance, value: number): EncoderInstance {
  this.ensureAvailable(5);
  const buf = this.buf;
  let at = this.offset;
  while ((value & 0xffffff80) !== 0) {
    buf[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[at++] = value & 0x7f;
  this.offset = at;
  return this;
}

/** Same as the stock writeVarLong (zigzag, 64-bit LEB128) for integers below 2^51. */
function writeVarLong(this: EncoderInstance, value: unknown): EncoderInstance {
  let z = zigzag(value);
  if (z < 0) return STOCK.writeVarLong.call(this, value);
  this.ensureAvailable(8);
  const buf = this.buf;
  let at = this.offset;
  while (z >= 0x80) {
    buf[at++] = (z % 0x80) | 0x80;
    z = Math.floor(z / 0x80);
  }
  buf[at++] = z;
  this.offset = at;
  return this;
}

/** Same as the stock sizeOfVarLong for integers below 2^51. */
function sizeOfVarLong(value: unknown): number {
  let z = zigzag(value);
  if (z < 0) return STOCK.sizeOfVarLong.call(KafkaEncoder, value);
  let bytes = 1;
  while (z >= 0x80) {
    bytes++;
    z = Math.floor(z / 0x80);
  }
  return bytes;
}

/** Same as the stock writeEncoderArray, copying each encoder's bytes without a Buffer view of them. */
function writeEncoderArray(
  this: EncoderInstance,
  value: unknown,
): EncoderInstance {
  if (!Array.isArray(value)) return STOCK.writeEncoderArray.call(this, value);
  for (const item of value) {
    if (!(item instanceof Encoder)) {
      return STOCK.writeEncoderArray.call(this, value); // it throws
    }
  }
  for (const item of value as EncoderInstance[]) {
    const length = item.offset;
    this.ensureAvailable(length);
    item.buf.copy(this.buf, this.offset, 0, length);
    this.offset += length;
  }
  return this;
}

let installed = false;

/**
 * Replaces the Encoder methods above, once per process. Every kafkajs
 * client of the process (this server's and any other) then encodes with
 * them; the bytes are the same.
 */
export function installFastKafkaEncoder(): void {
  if (installed) return;
  installed = true;
  const proto = KafkaEncoder.prototype;
  proto.writeUVarInt = writeUVarInt;
  proto.writeVarLong = writeVarLong;
  proto.writeEncoderArray = writeEncoderArray;
  KafkaEncoder.sizeOfVarLong = sizeOfVarLong;
}
