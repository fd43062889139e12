/**
 * Size limits of operator state. Deno KV fixes the per-key and per-operation
 * limits; the state layer adds chunking so that values may be much larger.
 * @module
 */

/** Largest encoded Deno KV key, in bytes; every state key, prefix and range bound must fit. */
export const MAX_KEY_BYTES = 2048;

/** Largest Deno KV value in bytes; larger state values are split into chunks of this size. */
export const CHUNK_BYTES = 65536;

/** Largest state value (and positions record) in bytes: 16 MiB. */
export const MAX_VALUE_BYTES = 16 * 1024 * 1024;

/** Limits of one Deno KV atomic operation. */
export interface AtomicLimits {
  /** Most mutations in one atomic operation. */
  maxMutations: number;
  /** Most bytes of keys and values in one atomic operation. */
  maxPayloadBytes: number;
  /** Most bytes of keys written by `set` in one atomic operation. */
  maxKeyBytes: number;
}

/**
 * The limits Deno KV enforces on an atomic operation (1000 mutations,
 * 800 KiB payload, 80 KiB of set keys), with a small margin on the sizes.
 */
export const KV_ATOMIC_LIMITS: Readonly<AtomicLimits> = Object.freeze({
  maxMutations: 1000,
  maxPayloadBytes: 800 * 1024 - 4096,
  maxKeyBytes: 80 * 1024 - 1024,
});
