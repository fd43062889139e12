/**
 * Packs a stream of Deno KV mutations into as few atomic operations as the
 * Deno KV limits allow. A group of mutations always lands in one atomic
 * operation, which keeps a value and its index entry consistent. With
 * `inFlight` > 1 several operations may be committing at once and land in any
 * order; {@link AtomicBatcher.drain} is the barrier where order matters.
 * @module
 */
import { FsError } from "../core/mod.ts";
import { encodedKeySize } from "./key_codec.ts";
import { type AtomicLimits, KV_ATOMIC_LIMITS } from "./limits.ts";

/** One Deno KV mutation. */
export type KvMutation =
  | { type: "set"; key: Deno.KvKey; value: unknown }
  | { type: "delete"; key: Deno.KvKey };

/** Options for {@link AtomicBatcher}. */
export interface AtomicBatcherOptions {
  /**
   * Limits of one atomic operation.
   * @default KV_ATOMIC_LIMITS
   */
  limits?: AtomicLimits;
  /** Called before each atomic operation is committed (tests inject faults here). */
  beforeCommit?: () => void | Promise<void>;
  /**
   * Most atomic operations committing at once. Deno KV runs them on its own
   * thread, so more than 1 overlaps building one operation with writing the previous ones.
   * @default 1
   */
  inFlight?: number;
}

interface Cost {
  payload: number;
  keys: number;
}

const encoder = new TextEncoder();

function costOf(m: KvMutation, keyBytes?: number): Cost {
  const key = keyBytes ?? encodedKeySize(m.key);
  if (m.type === "delete") return { payload: key, keys: 0 };
  const value = m.value instanceof Uint8Array
    ? m.value.length
    // Only small objects (headers, markers) are stored; JSON bounds their V8 size.
    : encoder.encode(JSON.stringify(m.value)).length + 64;
  return { payload: 2 * key + value, keys: key };
}

/** Accumulates mutations and commits them in atomic operations within the limits. */
export class AtomicBatcher {
  readonly #kv: Deno.Kv;
  readonly #limits: AtomicLimits;
  readonly #beforeCommit?: () => void | Promise<void>;
  readonly #maxInFlight: number;
  readonly #inFlight = new Set<Promise<void>>();
  #failure: { error: unknown } | null = null;
  #pending: KvMutation[] = [];
  #payload = 0;
  #keys = 0;
  #commits = 0;

  /** Creates a batcher that writes to `kv`. */
  constructor(kv: Deno.Kv, options: AtomicBatcherOptions = {}) {
    this.#kv = kv;
    this.#limits = options.limits ?? KV_ATOMIC_LIMITS;
    this.#beforeCommit = options.beforeCommit;
    this.#maxInFlight = Math.max(1, options.inFlight ?? 1);
  }

  /** Number of atomic operations committed so far. */
  get commits(): number {
    return this.#commits;
  }

  /**
   * Adds one mutation, committing the current operation first when it is
   * full. `keyBytes`, the key's encoded size when the caller knows it,
   * saves measuring it (a hot loop writes 100k keys).
   */
  async add(mutation: KvMutation, keyBytes?: number): Promise<void> {
    const cost = costOf(mutation, keyBytes);
    await this.#push([mutation], cost.payload, cost.keys);
  }

  /** Adds mutations that must land in the same atomic operation. */
  async group(mutations: KvMutation[]): Promise<void> {
    const costs = mutations.map((m) => costOf(m));
    const payload = costs.reduce((s, c) => s + c.payload, 0);
    const keys = costs.reduce((s, c) => s + c.keys, 0);
    const limits = this.#limits;
    if (
      mutations.length > limits.maxMutations ||
      payload > limits.maxPayloadBytes || keys > limits.maxKeyBytes
    ) {
      throw new FsError(
        "INTERNAL",
        `Cannot batch ${mutations.length} mutations as one atomic operation: ` +
          `current value is ${payload} payload bytes`,
      );
    }
    await this.#push(mutations, payload, keys);
  }

  async #push(
    mutations: KvMutation[],
    payload: number,
    keys: number,
  ): Promise<void> {
    const limits = this.#limits;
    if (
      this.#pending.length + mutations.length > limits.maxMutations ||
      this.#payload + payload > limits.maxPayloadBytes ||
      this.#keys + keys > limits.maxKeyBytes
    ) {
      await this.#send();
    }
    for (const m of mutations) this.#pending.push(m);
    this.#payload += payload;
    this.#keys += keys;
  }

  /** Commits whatever is pending and waits until every operation has landed. */
  async flush(): Promise<void> {
    await this.#send();
    await this.drain();
  }

  /**
   * Waits until every operation sent so far has landed, without sending
   * what is pending: whatever is added next lands after all of them.
   */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
    this.#throwFailure();
  }

  #throwFailure(): void {
    if (this.#failure) throw this.#failure.error;
  }

  /** Starts committing the pending operation; waits while too many are in flight. */
  async #send(): Promise<void> {
    this.#throwFailure();
    if (this.#pending.length === 0) return;
    const pending = this.#pending;
    this.#pending = [];
    this.#payload = 0;
    this.#keys = 0;
    try {
      await this.#beforeCommit?.();
    } catch (error) {
      // A simulated crash: let what is already committing land first; the
      // batcher stays failed.
      this.#failure ??= { error };
      await this.drain().catch(() => {});
      throw error;
    }
    const op = this.#kv.atomic();
    for (const m of pending) {
      if (m.type === "set") op.set(m.key, m.value);
      else op.delete(m.key);
    }
    const landed: Promise<void> = op.commit().then((result) => {
      if (!result.ok) {
        throw new FsError(
          "UNAVAILABLE",
          "Cannot commit an atomic operation to Deno KV as it was rejected: current value is ok=false",
        );
      }
      this.#commits++;
    }).catch((error) => {
      this.#failure ??= { error };
    }).finally(() => this.#inFlight.delete(landed));
    this.#inFlight.add(landed);
    while (this.#inFlight.size >= this.#maxInFlight) {
      await Promise.race(this.#inFlight);
    }
    this.#throwFailure();
  }
}

/** Whether mutations fit in one atomic operation under the limits. */
export function fitsOneAtomic(
  mutations: KvMutation[],
  limits: AtomicLimits = KV_ATOMIC_LIMITS,
): boolean {
  if (mutations.length > limits.maxMutations) return false;
  let payload = 0;
  let keys = 0;
  for (const m of mutations) {
    const c = costOf(m);
    payload += c.payload;
    keys += c.keys;
  }
  return payload <= limits.maxPayloadBytes && keys <= limits.maxKeyBytes;
}
