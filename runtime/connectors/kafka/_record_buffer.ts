/**
 * The bounded queue between the kafkajs fetch loop (which pushes) and
 * `poll()` (which takes). It only counts and signals; pausing the consumer
 * when it is full is the source's job.
 * @module
 */
import type { InputRecord } from "../../core/mod.ts";

/** Limits of a {@link RecordBuffer}. */
export interface RecordBufferLimits {
  /** Full at this many records. */
  maxRecords: number;
  /** Full at this many key+value bytes. */
  maxBytes: number;
}

function sizeOf(record: InputRecord): number {
  return record.value.byteLength + (record.key?.byteLength ?? 0);
}

/** A FIFO of records with a record and byte limit and waiters for new records. */
export class RecordBuffer {
  readonly #limits: RecordBufferLimits;
  #items: InputRecord[] = [];
  #head = 0;
  #bytes = 0;
  readonly #waiters = new Set<() => void>();

  /** Creates an empty buffer. */
  constructor(limits: RecordBufferLimits) {
    if (!(limits.maxRecords >= 1) || !(limits.maxBytes >= 1)) {
      throw new RangeError(
        `Cannot create a record buffer as its limits must be at least 1: current value is ${
          JSON.stringify(limits)
        }`,
      );
    }
    this.#limits = { ...limits };
  }

  /** Number of buffered records. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Key+value bytes of the buffered records. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether no more records should be pushed. */
  isFull(): boolean {
    return this.size >= this.#limits.maxRecords ||
      this.#bytes >= this.#limits.maxBytes;
  }

  /** Whether the buffer has drained to half of both limits (resume point). */
  isLow(): boolean {
    return this.size <= this.#limits.maxRecords / 2 &&
      this.#bytes <= this.#limits.maxBytes / 2;
  }

  /** Appends a record and wakes every waiter. */
  push(record: InputRecord): void {
    this.#items.push(record);
    this.#bytes += sizeOf(record);
    this.wakeAll();
  }

  /** Removes and returns up to `max` records from the front, in order. */
  take(max: number): InputRecord[] {
    const end = Math.min(this.#items.length, this.#head + Math.max(0, max));
    const taken = this.#items.slice(this.#head, end);
    this.#head = end;
    for (const record of taken) this.#bytes -= sizeOf(record);
    // Compact now and then so the array does not grow without bound.
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return taken;
  }

  /**
   * Drops every buffered record of one partition (after it was revoked) and
   * returns the offset of the first one dropped, or undefined if none was.
   */
  dropPartition(topic: string, partition: number): bigint | undefined {
    let first: bigint | undefined;
    const kept: InputRecord[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const record = this.#items[i];
      if (record.topic === topic && record.partition === partition) {
        first ??= record.offset;
        this.#bytes -= sizeOf(record);
      } else {
        kept.push(record);
      }
    }
    this.#items = kept;
    this.#head = 0;
    return first;
  }

  /**
   * Waits until a record is pushed, `ms` pass, `signal` aborts or
   * {@link wakeAll} is called, whichever comes first.
   */
  waitForRecords(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.size > 0 || signal?.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      this.#waiters.add(done);
    });
  }

  /** Wakes every waiter (used on push, close and failure). */
  wakeAll(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
