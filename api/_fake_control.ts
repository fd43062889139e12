/**
 * An in-memory FunctionControl for api/ tests. It throws the same FsError
 * codes the engine does: BAD_REQUEST for bad configs, CONFLICT for a taken
 * name, NOT_FOUND for unknown functions.
 * @module
 */
import {
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
}

/** Creates an empty fake engine. */
export function createFakeControl(): FakeControl {
  const fake: FakeControl = {
    functions: new Map(),
    listPatterns: [],
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
  };

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
