/**
 * An in-memory FunctionControl for api/ tests. It throws the same FsError
 * codes the engine does: BAD_REQUEST for bad configs and disabled
 * checkpoints, CONFLICT for a taken name or a function in the wrong state,
 * NOT_FOUND for unknown functions and checkpoints.
 * @module
 */
import {
  type CheckpointInfo,
  type CreatePythonFunctionInput,
  FsError,
  type FunctionControl,
  type FunctionInfo,
  matchesGlob,
  parseTaskConfig,
} from "../runtime/core/mod.ts";

/** A fake engine that records what it was asked. */
export interface FakeControl extends FunctionControl {
  /** Registered functions by name, with what was uploaded. */
  functions: Map<
    string,
    { info: FunctionInfo; input: CreatePythonFunctionInput }
  >;
  /** Patterns passed to listFunctions, in call order. */
  listPatterns: (string | undefined)[];
  /** When set, every method throws this value (e.g. a plain Error). */
  failWith?: unknown;
  /** Complete checkpoints by function, oldest first (tests may fill it). */
  checkpoints: Map<string, CheckpointInfo[]>;
  /** Functions whose task config has checkpoints off (trigger answers BAD_REQUEST). */
  checkpointsDisabled: Set<string>;
  /** The id the next triggered checkpoint gets (then it grows by one). */
  nextCheckpointId: number;
  /** Restores done, in call order. */
  restores: { name: string; checkpointId: number }[];
}

/** Creates an empty fake engine. */
export function createFakeControl(): FakeControl {
  const fake: FakeControl = {
    functions: new Map(),
    listPatterns: [],
    checkpoints: new Map(),
    checkpointsDisabled: new Set(),
    nextCheckpointId: 1,
    restores: [],
    createPythonFunction(input) {
      if (fake.failWith !== undefined) return Promise.reject(fake.failWith);
      try {
        const { name, type } = parseTaskConfig(input.configYaml);
        if (fake.functions.has(name)) {
          throw new FsError(
            "CONFLICT",
            `Cannot create function as the name is taken: current value is '${name}'`,
          );
        }
        fake.functions.set(name, {
          info: { name, taskType: type, status: "RUNNING" },
          input,
        });
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    },
    startFunction(name) {
      return setStatus(name, "RUNNING");
    },
    stopFunction(name) {
      return setStatus(name, "STOPPED");
    },
    dropFunction(name) {
      const failure = check(name);
      if (failure) return Promise.reject(failure);
      fake.functions.delete(name);
      fake.checkpoints.delete(name);
      return Promise.resolve();
    },
    listFunctions(pattern) {
      if (fake.failWith !== undefined) return Promise.reject(fake.failWith);
      fake.listPatterns.push(pattern);
      const rows = [...fake.functions.values()]
        .map((entry) => ({ ...entry.info }))
        .filter((info) => matchesGlob(info.name, pattern))
        .sort((a, b) => a.name.localeCompare(b.name));
      return Promise.resolve(rows);
    },
    triggerCheckpoint(name) {
      const failure = check(name) ?? checkStatus(name, "RUNNING", "trigger");
      if (failure) return Promise.reject(failure);
      if (fake.checkpointsDisabled.has(name)) {
        return Promise.reject(
          new FsError(
            "BAD_REQUEST",
            `Cannot trigger a checkpoint of function '${name}' as its checkpoints are disabled: current value of enable_checkpoint is false`,
          ),
        );
      }
      const id = fake.nextCheckpointId++;
      const list = fake.checkpoints.get(name) ?? [];
      list.push({
        id,
        createdAtMs: Date.now(),
        sizeBytes: 0,
        positions: [],
        token: `token-${id}`,
      });
      fake.checkpoints.set(name, list);
      return Promise.resolve(id);
    },
    listCheckpoints(name) {
      const failure = check(name);
      if (failure) return Promise.reject(failure);
      return Promise.resolve([...(fake.checkpoints.get(name) ?? [])]);
    },
    restoreCheckpoint(name, checkpointId) {
      const failure = check(name) ?? checkStatus(name, "STOPPED", "restore");
      if (failure) return Promise.reject(failure);
      const list = fake.checkpoints.get(name) ?? [];
      const index = list.findIndex((info) => info.id === checkpointId);
      if (index < 0) {
        return Promise.reject(
          new FsError(
            "NOT_FOUND",
            `Checkpoint ${checkpointId} of function '${name}' not found`,
          ),
        );
      }
      // Later checkpoints belong to the abandoned history, as in the engine.
      list.splice(index + 1);
      fake.restores.push({ name, checkpointId });
      return Promise.resolve();
    },
  };

  function checkStatus(
    name: string,
    wanted: FunctionInfo["status"],
    action: string,
  ): FsError | undefined {
    const status = fake.functions.get(name)!.info.status;
    if (status === wanted) return undefined;
    return new FsError(
      "CONFLICT",
      `Cannot ${action} a checkpoint of function '${name}' as it is not ${wanted}: current value is ${status}`,
    );
  }

  function check(name: string): unknown {
    if (fake.failWith !== undefined) return fake.failWith;
    if (!fake.functions.has(name)) {
      return new FsError(
        "NOT_FOUND",
        `Function '${name}' not found`,
      );
    }
    return undefined;
  }

  function setStatus(name: string, status: FunctionInfo["status"]) {
    const failure = check(name);
    if (failure) return Promise.reject(failure);
    fake.functions.get(name)!.info.status = status;
    return Promise.resolve();
  }

  return fake;
}

/** A task config YAML for a function named `name`. */
export function taskYaml(name: string): string {
  return [
    `name: ${name}`,
    "type: python",
    "input-groups:",
    "  - inputs:",
    "      - {input-type: kafka, bootstrap_servers: '127.0.0.1:9092', topic: in, group_id: g}",
    "outputs:",
    "  - {output-type: kafka, bootstrap_servers: '127.0.0.1:9092', topic: out, partition: 0}",
  ].join("\n");
}
