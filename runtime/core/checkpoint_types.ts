/**
 * The vocabulary of checkpoints, shared by the engine (which takes and
 * restores them), the state backends (which store them) and the control
 * plane (which lists and triggers them).
 *
 * A checkpoint is committed in two phases so that an external system (a
 * Kafka transaction) can join it: `prepareCheckpoint` makes it durable but
 * invisible, `completeCheckpoint` makes it the function's latest and applies
 * its state changes; `abortCheckpoint` discards it. A crash between the two
 * leaves it prepared, and recovery decides with `preparedCheckpoint`.
 * @module
 */
import type { SourcePosition } from "./records.ts";
import type { StateMutation } from "./state_types.ts";

/** What the control plane shows of one checkpoint. */
export interface CheckpointInfo {
  /** Id, increasing per function and never reused (also across restores). */
  id: number;
  /** When it was taken, in milliseconds since the epoch. */
  createdAtMs: number;
  /** Bytes stored for it (state changes, undo images, operator data). */
  sizeBytes: number;
  /** The input position of every partition the function had read. */
  positions: SourcePosition[];
  /**
   * A random token naming this checkpoint attempt in external systems (the
   * Kafka transaction's commit record), so a stale record of a dropped or
   * rewound function can never be mistaken for it.
   */
  token: string;
}

/** Everything one checkpoint makes durable, all or nothing. */
export interface CheckpointData {
  /** Id from {@link CheckpointStore.nextCheckpointId}. */
  id: number;
  /** When it was taken, in milliseconds since the epoch. */
  createdAtMs: number;
  /** A random token, see {@link CheckpointInfo.token}. */
  token: string;
  /** Every state change since the previous checkpoint, in order. */
  mutations: StateMutation[];
  /** The input position of every partition the function had read. */
  positions: SourcePosition[];
  /** The bytes `take_checkpoint` returned, or null. */
  operatorData: Uint8Array | null;
}

/** The latest complete checkpoint of a function, as recovery needs it. */
export interface RestoredCheckpoint {
  /** Its description. */
  info: CheckpointInfo;
  /** The bytes `take_checkpoint` returned, or null. */
  operatorData: Uint8Array | null;
}

/**
 * Where checkpoints live. Every method is scoped by function name; state
 * changes of a checkpoint reach the function's live state (what
 * `StateBackend.get` reads) only when it completes.
 */
export interface CheckpointStore {
  /** Reserves the next checkpoint id of a function (ids only grow, even across restores). */
  nextCheckpointId(fn: string): Promise<number>;
  /**
   * Makes a checkpoint durable but not yet visible, whatever its size.
   * At most one checkpoint of a function is prepared at a time.
   *
   * @throws {FsError} CONFLICT when another checkpoint is prepared.
   */
  prepareCheckpoint(fn: string, data: CheckpointData): Promise<CheckpointInfo>;
  /**
   * Makes the prepared checkpoint the function's latest: applies its state
   * changes and positions to the live state, crash-safely.
   *
   * @throws {FsError} NOT_FOUND when no checkpoint with this id is prepared.
   */
  completeCheckpoint(fn: string, id: number): Promise<void>;
  /** Discards the prepared checkpoint with this id, if any; live state is untouched. */
  abortCheckpoint(fn: string, id: number): Promise<void>;
  /** The prepared (durable, undecided) checkpoint of a function, or null. */
  preparedCheckpoint(fn: string): Promise<CheckpointInfo | null>;
  /** The complete checkpoints of a function, oldest first. */
  listCheckpoints(fn: string): Promise<CheckpointInfo[]>;
  /** The latest complete checkpoint of a function, or null. */
  latestCheckpoint(fn: string): Promise<RestoredCheckpoint | null>;
  /**
   * Rewinds a function's live state and positions to a complete checkpoint
   * and deletes the checkpoints after it (they belong to the abandoned
   * history). The function must not be running.
   *
   * @throws {FsError} NOT_FOUND when the function has no such checkpoint.
   */
  restoreCheckpoint(fn: string, id: number): Promise<void>;
  /** Deletes all but the newest `keep` complete checkpoints (keep >= 1). */
  pruneCheckpoints(fn: string, keep: number): Promise<void>;
}
