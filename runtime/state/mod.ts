/**
 * Operator state: the Deno KV backend with crash-atomic commits of any size,
 * the in-memory reference backend, the key layout and limits, the shared
 * backend test suite, and chunked blob storage.
 * @module
 */
export {
  DenoKvStateBackend,
  type DenoKvStateBackendOptions,
  type FaultHook,
  type FaultPoint,
} from "./deno_kv_backend.ts";
export { MemoryStateBackend } from "./memory_backend.ts";
export { OverlayState, type OverlayStateOptions } from "./overlay_state.ts";
export {
  deleteBlob,
  MAX_BLOB_BYTES,
  readBlob,
  writeBlob,
  type WriteBlobOptions,
} from "./blob_store.ts";
export {
  compareBytes,
  encodedKeySize,
  STATE_ROOT,
  userKeyBudget,
} from "./key_codec.ts";
export {
  type AtomicLimits,
  CHUNK_BYTES,
  KV_ATOMIC_LIMITS,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
} from "./limits.ts";
