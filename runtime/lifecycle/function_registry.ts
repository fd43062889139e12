/**
 * The durable list of registered functions: one small record per function in
 * Deno KV, with its config and module sources stored as blobs beside it.
 * @module
 */
import { FsError, type PythonModule } from "../core/mod.ts";
import { deleteBlob, readBlob, writeBlob } from "../state/mod.ts";

/** Whether a function should be running; restored when the server restarts. */
export type DesiredState = "RUNNING" | "STOPPED";

/** What the registry keeps about one function. */
export interface FunctionRecord {
  /** Function name (unique). */
  name: string;
  /** Task type, e.g. "python". */
  taskType: string;
  /** The operator class to instantiate. */
  className: string;
  /** Names of the uploaded modules, in upload order. */
  moduleNames: string[];
  /** Identifies this upload's blobs, so a failed create never touches another's. */
  uploadId: string;
  /** Whether the function should run. */
  desiredState: DesiredState;
  /** The last error the function reported, if any. */
  lastError: string | null;
  /** Creation time in milliseconds since the epoch. */
  createdAt: number;
}

/** A function's record with its config and module sources. */
export interface FunctionDefinition {
  /** The registry record. */
  record: FunctionRecord;
  /** The task config YAML as uploaded. */
  configYaml: string;
  /** The uploaded modules, in upload order. */
  modules: PythonModule[];
}

const RECORD = "fn";
const BLOB = "fn_blob";

/** Reads and writes function records in a Deno KV. */
export class FunctionRegistry {
  readonly #kv: Deno.Kv;

  /** Creates a registry over an open Deno KV (which the caller closes). */
  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  /**
   * Registers a new function with its config and modules.
   *
   * @throws {FsError} CONFLICT when the name is taken.
   */
  async create(
    definition: Omit<FunctionDefinition, "record"> & {
      record: Omit<FunctionRecord, "uploadId" | "createdAt">;
    },
  ): Promise<FunctionRecord> {
    const { name } = definition.record;
    if ((await this.#kv.get([RECORD, name])).versionstamp !== null) {
      throw conflict(name);
    }
    const record: FunctionRecord = {
      ...definition.record,
      uploadId: crypto.randomUUID(),
      createdAt: Date.now(),
    };
    // Blobs go under this upload's own id first; the record that points at
    // them is written last, only if the name is still free.
    const encoder = new TextEncoder();
    await writeBlob(
      this.#kv,
      [BLOB, name, record.uploadId, "config"],
      encoder.encode(definition.configYaml),
    );
    for (const [i, module] of definition.modules.entries()) {
      await writeBlob(
        this.#kv,
        [BLOB, name, record.uploadId, "module", i],
        module.source,
      );
    }
    const result = await this.#kv.atomic()
      .check({ key: [RECORD, name], versionstamp: null })
      .set([RECORD, name], record)
      .commit();
    if (!result.ok) {
      await this.#deleteBlobs(record);
      throw conflict(name);
    }
    return record;
  }

  /** Returns a function's record, or null when it is not registered. */
  async get(name: string): Promise<FunctionRecord | null> {
    return (await this.#kv.get<FunctionRecord>([RECORD, name])).value;
  }

  /**
   * Returns a function's record with its config and modules.
   *
   * @throws {FsError} NOT_FOUND when the function is not registered.
   */
  async load(name: string): Promise<FunctionDefinition> {
    const record = await this.get(name);
    if (record === null) throw notFound(name);
    const config = await readBlob(this.#kv, [
      BLOB,
      name,
      record.uploadId,
      "config",
    ]);
    if (config === null) {
      throw new FsError(
        "INTERNAL",
        `Cannot load function '${name}' as its config is missing`,
      );
    }
    const modules: PythonModule[] = [];
    for (const [i, moduleName] of record.moduleNames.entries()) {
      const source = await readBlob(this.#kv, [
        BLOB,
        name,
        record.uploadId,
        "module",
        i,
      ]);
      if (source === null) {
        throw new FsError(
          "INTERNAL",
          `Cannot load function '${name}' as module '${moduleName}' is missing`,
        );
      }
      modules.push({ name: moduleName, source });
    }
    return { record, configYaml: new TextDecoder().decode(config), modules };
  }

  /** Lists every record, in name order. */
  async list(): Promise<FunctionRecord[]> {
    const records: FunctionRecord[] = [];
    for await (
      const entry of this.#kv.list<FunctionRecord>({ prefix: [RECORD] })
    ) {
      records.push(entry.value);
    }
    return records;
  }

  /**
   * Changes fields of a record (desired state, last error).
   *
   * @throws {FsError} NOT_FOUND when the function is not registered.
   */
  async update(
    name: string,
    changes: Partial<Pick<FunctionRecord, "desiredState" | "lastError">>,
  ): Promise<FunctionRecord> {
    const record = await this.get(name);
    if (record === null) throw notFound(name);
    const updated = { ...record, ...changes };
    await this.#kv.set([RECORD, name], updated);
    return updated;
  }

  /** Removes a function's record and blobs; removing an absent one does nothing. */
  async delete(name: string): Promise<void> {
    const record = await this.get(name);
    if (record === null) return;
    await this.#kv.delete([RECORD, name]);
    await this.#deleteBlobs(record);
  }

  async #deleteBlobs(record: FunctionRecord): Promise<void> {
    const base = [BLOB, record.name, record.uploadId];
    await deleteBlob(this.#kv, [...base, "config"]);
    for (let i = 0; i < record.moduleNames.length; i++) {
      await deleteBlob(this.#kv, [...base, "module", i]);
    }
  }
}

function conflict(name: string): FsError {
  return new FsError(
    "CONFLICT",
    `Cannot create function '${name}' as the name is taken: drop it first or choose another name`,
  );
}

/** The NOT_FOUND error for an unknown function name. */
export function notFound(name: string): FsError {
  return new FsError("NOT_FOUND", `Function '${name}' does not exist`);
}
