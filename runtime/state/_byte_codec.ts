/**
 * A growable byte writer and a bounds-checked reader: bytes, varints and
 * length-prefixed byte strings, the building blocks of the redo log
 * encoding. Both are on the hot path of checkpoints of 100k keys, hence
 * the short-copy loops.
 * @module
 */
import { FsError } from "../core/mod.ts";

/** Byte strings up to this length are copied by a loop (cheaper than `set` for a few bytes). */
const SHORT = 32;

/** Appends bytes to a buffer that doubles when full. */
export class ByteWriter {
  #buf: Uint8Array;
  #len = 0;

  /** Creates a writer with room for `capacity` bytes before it grows. */
  constructor(capacity = 1024) {
    this.#buf = new Uint8Array(Math.max(16, capacity));
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** Appends one byte. */
  byte(b: number): void {
    this.#reserve(1);
    this.#buf[this.#len++] = b;
  }

  /** Appends a non-negative integer, 7 bits per byte. */
  varint(n: number): void {
    this.#reserve(8);
    while (n >= 0x80) {
      this.#buf[this.#len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.#buf[this.#len++] = n;
  }

  /** Appends a byte string with its length. */
  bytes(b: Uint8Array): void {
    const n = b.length;
    this.varint(n);
    this.#reserve(n);
    const buf = this.#buf;
    let at = this.#len;
    if (n <= SHORT) {
      for (let i = 0; i < n; i++) buf[at++] = b[i];
    } else {
      buf.set(b, at);
      at += n;
    }
    this.#len = at;
  }

  /** The bytes written (a view, not a copy). */
  /** Appends a byte string given as a one-char-per-byte string (bytesId) with its length. */
  chars(s: string): void {
    const n = s.length;
    this.varint(n);
    this.#reserve(n);
    const buf = this.#buf;
    let at = this.#len;
    for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
    this.#len = at;
  }

  result(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}

/** Reads what a {@link ByteWriter} wrote; a truncated input is an FsError, never garbage. */
export class ByteReader {
  #at = 0;

  /** Creates a reader over `buf`; `what` names the input in errors. */
  constructor(readonly buf: Uint8Array, readonly what: string) {}

  /** Whether every byte was read. */
  get done(): boolean {
    return this.#at >= this.buf.length;
  }

  /** Reads one byte. */
  byte(): number {
    if (this.#at >= this.buf.length) throw this.#corrupt();
    return this.buf[this.#at++];
  }

  /** Reads a varint. */
  varint(): number {
    let n = 0, scale = 1, b: number;
    do {
      b = this.byte();
      n += (b & 0x7f) * scale;
      scale *= 0x80;
    } while (b & 0x80);
    return n;
  }

  /** Reads a length-prefixed byte string (a copy, so it does not pin the input). */
  bytes(): Uint8Array {
    const n = this.varint();
    if (this.#at + n > this.buf.length) throw this.#corrupt();
    const out = this.buf.slice(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }

  #corrupt(): FsError {
    return new FsError(
      "INTERNAL",
      `Cannot decode ${this.what} as it is truncated: current value is offset ${this.#at}`,
    );
  }
}
