/**
 * The bounded queue between the kafkajs fetch loop (which pushes) and
 * `poll()` (which takes). It only counts and signals: the fetch loop waits
 * for space with {@link RecordBuffer.waitForSpace}, `poll()` for records
 * with {@link RecordBuffer.waitForRecords}.
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
  readonly #spaceWaiters = new Set<() => void>();

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

  /** Records that fit before the record limit (the byte limit is the pusher's to check). */
  get room(): number {
    return Math.max(0, this.#limits.maxRecords - this.size);
  }

  /** Key+value bytes that fit before the byte limit. */
  get byteRoom(): number {
    return Math.max(0, this.#limits.maxBytes - this.#bytes);
  }

  /** Appends a record and wakes the waiters for records. */
  push(record: InputRecord): void {
    this.pushAll([record]);
  }

  /** Appends records in order and wakes the waiters for records once. */
  pushAll(records: InputRecord[]): void {
    if (records.length === 0) return;
    for (const record of records) {
      this.#items.push(record);
      this.#bytes += sizeOf(record);
    }
    wake(this.#waiters);
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
    if (taken.length > 0) wake(this.#spaceWaiters);
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
    wake(this.#spaceWaiters);
    return first;
  }

  /**
   * Waits until a record is pushed, `ms` pass, `signal` aborts or
   * {@link wakeAll} is called, whichever comes first.
   */
  waitForRecords(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.size > 0 || signal?.aborted || ms <= 0) return Promise.resolve();
    return wait(this.#waiters, ms, signal);
  }

  /**
   * Waits until records are taken or dropped while the buffer is full, `ms`
   * pass or {@link wakeAll} is called, whichever comes first.
   */
  waitForSpace(ms: number): Promise<void> {
    if (!this.isFull() || ms <= 0) return Promise.resolve();
    return wait(this.#spaceWaiters, ms);
  }

  /** Wakes every waiter, for records or for space (used on close and failure). */
  wakeAll(): void {
    wake(this.#waiters);
    wake(this.#spaceWaiters);
  }
}

function wake(waiters: Set<() => void>): void {
  if (waiters.size === 0) return;
  for (const done of [...waiters]) done();
}

function wait(
  waiters: Set<() => void>,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      waiters.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    waiters.add(done);
  });
}
