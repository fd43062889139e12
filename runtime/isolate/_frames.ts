/**
 * Frames on the pipes between the server and an isolate's process (process
 * isolation): an 8-byte header (`FSF`, a tag byte, the payload length as a
 * little-endian u32) and a payload serialized with node:v8 (the structured
 * clone format, so typed arrays, bigints and nested objects round-trip).
 * The magic bytes make stray output on the pipe a clear error instead of a
 * misread length.
 * @module
 */
import { deserialize, serialize } from "node:v8";

/** What a frame carries. */
export const FrameTag = {
  /** Server to process: the {@link ProcessHostInit} (first frame only). */
  init: 0,
  /** Either way: a message for (or from) the worker. */
  message: 1,
  /** Process to server: the worker's `error` event (payload: its message). */
  error: 2,
  /** Process to server: the worker's `messageerror` event. */
  messageError: 3,
} as const;

/** One of {@link FrameTag}'s values. */
export type FrameTag = typeof FrameTag[keyof typeof FrameTag];

/** What the server tells the process before the first message. */
export interface ProcessHostInit {
  /** Worker name (log tags). */
  name: string;
  /** The pyodide package directory (ends with "/"). */
  indexPath: string;
  /** The snapshot cache file the process reads the snapshot from. */
  snapshotPath: string;
  /** Byte length of the snapshot payload (the file must match it). */
  snapshotBytes: number;
  /** Resident memory past which the process ends itself (0: none). */
  maxResidentBytes: number;
}

/** Exit code of an isolate process that ended itself over its resident memory limit. */
export const MEMORY_EXIT_CODE = 97;

/** Largest payload accepted; a longer frame is a protocol error. */
export const MAX_FRAME_BYTES = 1 << 30;

const HEADER_BYTES = 8;
const MAGIC = [0x46, 0x53, 0x46]; // "FSF"

/** Payloads up to this size are copied behind their header (one write, one wake-up). */
const JOIN_BELOW_BYTES = 64 * 1024;

/**
 * Serializes `value` into a frame: one buffer, or header and payload for a
 * large payload (written in turn rather than copied together).
 */
export function encodeFrame(tag: FrameTag, value: unknown): Uint8Array[] {
  const payload = serialize(value);
  if (payload.length > MAX_FRAME_BYTES) {
    throw new RangeError(
      `Cannot send a message of ${payload.length} bytes to an isolate process as it exceeds the frame limit of ${MAX_FRAME_BYTES} bytes`,
    );
  }
  const join = payload.length < JOIN_BELOW_BYTES;
  const header = new Uint8Array(HEADER_BYTES + (join ? payload.length : 0));
  header.set(MAGIC, 0);
  header[3] = tag;
  new DataView(header.buffer).setUint32(4, payload.length, true);
  const bytes = new Uint8Array(
    payload.buffer,
    payload.byteOffset,
    payload.length,
  );
  if (!join) return [header, bytes];
  header.set(bytes, HEADER_BYTES);
  return [header];
}

/** A decoded frame; `value` is undefined when the payload could not be deserialized. */
export interface Frame {
  /** What the frame carries. */
  tag: number;
  /** The deserialized payload. */
  value: unknown;
  /** Why the payload could not be deserialized, if it could not. */
  error?: unknown;
}

/**
 * Splits a byte stream into frames. Chunks are kept as they arrive and only
 * a frame's own bytes are joined.
 */
export class FrameReader {
  #chunks: Uint8Array[] = [];
  #buffered = 0;

  /** Adds bytes; returns the frames now complete, in order. */
  push(chunk: Uint8Array): Frame[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Frame[] = [];
    while (this.#buffered >= HEADER_BYTES) {
      const header = this.#peek(HEADER_BYTES);
      if (MAGIC.some((byte, i) => header[i] !== byte)) {
        throw new TypeError(
          `Cannot read a frame from an isolate process as it does not start with the frame marker: current bytes are ${
            JSON.stringify(new TextDecoder().decode(this.#peek(
              Math.min(this.#buffered, 120),
            )))
          }`,
        );
      }
      const length = new DataView(header.buffer, header.byteOffset, 8)
        .getUint32(4, true);
      if (length > MAX_FRAME_BYTES) {
        throw new RangeError(
          `Cannot read a frame from an isolate process as it exceeds the frame limit of ${MAX_FRAME_BYTES} bytes: current length is ${length}`,
        );
      }
      if (this.#buffered < HEADER_BYTES + length) break;
      const bytes = this.#take(HEADER_BYTES + length);
      const payload = bytes.subarray(HEADER_BYTES);
      try {
        frames.push({ tag: bytes[3], value: deserialize(payload) });
      } catch (error) {
        frames.push({ tag: bytes[3], value: undefined, error });
      }
    }
    return frames;
  }

  /** The first `n` buffered bytes, without consuming them. */
  #peek(n: number): Uint8Array {
    const first = this.#chunks[0];
    if (first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let at = 0;
    for (const chunk of this.#chunks) {
      const part = chunk.subarray(0, n - at);
      out.set(part, at);
      at += part.length;
      if (at === n) break;
    }
    return out;
  }

  /** Removes and returns the first `n` buffered bytes. */
  #take(n: number): Uint8Array {
    const first = this.#chunks[0];
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      let at = 0;
      while (at < n) {
        const chunk = this.#chunks[0];
        const part = chunk.subarray(0, n - at);
        out.set(part, at);
        at += part.length;
        if (part.length === chunk.length) this.#chunks.shift();
        else this.#chunks[0] = chunk.subarray(part.length);
      }
    }
    this.#buffered -= n;
    return out;
  }
}
