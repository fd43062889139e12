/**
 * Byte encoding of input positions (bigint offsets survive as decimal strings).
 * @module
 */
import { FsError } from "../core/mod.ts";
import type { SourcePosition } from "../core/mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes positions as UTF-8 JSON with offsets as decimal strings. */
export function encodePositions(positions: SourcePosition[]): Uint8Array {
  return encoder.encode(JSON.stringify(positions.map((p) => ({
    topic: p.topic,
    partition: p.partition,
    nextOffset: p.nextOffset.toString(),
  }))));
}

/** Decodes what {@link encodePositions} wrote. */
export function decodePositions(bytes: Uint8Array): SourcePosition[] {
  const raw: unknown = JSON.parse(decoder.decode(bytes));
  if (!Array.isArray(raw)) {
    throw new FsError(
      "INTERNAL",
      `Cannot decode stored positions as they are not a list: current value is ${typeof raw}`,
    );
  }
  return raw.map((
    p: { topic: string; partition: number; nextOffset: string },
  ) => ({
    topic: p.topic,
    partition: p.partition,
    nextOffset: BigInt(p.nextOffset),
  }));
}

/** A deep copy of positions. */
export function copyPositions(positions: SourcePosition[]): SourcePosition[] {
  return positions.map((p) => ({
    topic: p.topic,
    partition: p.partition,
    nextOffset: p.nextOffset,
  }));
}
