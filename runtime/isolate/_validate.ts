/**
 * Argument checks of FunctionIsolate.start: everything the host can check
 * before a worker is spent on it, as BAD_REQUEST errors naming the field.
 * @module
 */
import { FsError } from "../core/mod.ts";
import type { IsolateOptions } from "./options.ts";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Top-level names the runtime itself uses; uploads may not shadow them. */
const RESERVED_MODULES = new Set([
  "fs_api",
  "fs_runtime",
  "pyodide",
  "pyodide_js",
  "_pyodide",
  "js",
  "micropip",
]);

function bad(what: string, problem: string, value: unknown): FsError {
  const shown = JSON.stringify(value) ?? String(value);
  return new FsError(
    "BAD_REQUEST",
    `Cannot start an isolate as ${what} ${problem}: current value is ${
      shown.length > 80 ? `${shown.slice(0, 77)}...` : shown
    }`,
  );
}

function positiveInt(value: unknown, what: string): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw bad(what, "must be a positive integer", value);
  }
}

/** Throws FsError("BAD_REQUEST") naming the first invalid option. */
export function checkIsolateOptions(options: IsolateOptions): void {
  if (typeof options.functionName !== "string" || !options.functionName) {
    throw bad(
      "functionName",
      "must be a non-empty string",
      options.functionName,
    );
  }
  if (
    typeof options.className !== "string" || !IDENTIFIER.test(options.className)
  ) {
    throw bad("className", "must be a Python identifier", options.className);
  }
  if (!Array.isArray(options.modules) || options.modules.length === 0) {
    throw bad("modules", "must list at least one module", options.modules);
  }
  const seen = new Set<string>();
  for (const module of options.modules) {
    const name = module?.name;
    if (
      typeof name !== "string" ||
      !name.split(".").every((part) => IDENTIFIER.test(part))
    ) {
      throw bad("a module name", "must be a dotted Python identifier", name);
    }
    if (RESERVED_MODULES.has(name.split(".")[0])) {
      throw bad("a module name", "must not shadow a runtime module", name);
    }
    if (seen.has(name)) throw bad("a module name", "appears twice", name);
    seen.add(name);
    if (!(module.source instanceof Uint8Array)) {
      throw bad(
        `the source of module '${name}'`,
        "must be bytes",
        typeof module.source,
      );
    }
  }
  if (!Number.isSafeInteger(options.outputCount) || options.outputCount < 0) {
    throw bad(
      "outputCount",
      "must be an integer of at least 0",
      options.outputCount,
    );
  }
  for (const [key, value] of Object.entries(options.initConfig ?? {})) {
    if (typeof value !== "string") {
      throw bad(`initConfig.${key}`, "must be a string", value);
    }
  }
  positiveInt(options.pageSize, "pageSize");
  positiveInt(options.maxCachedEntries, "maxCachedEntries");
  positiveInt(options.maxMemoryBytes || undefined, "maxMemoryBytes");
  if (
    options.callTimeoutMs !== undefined &&
    !(Number.isSafeInteger(options.callTimeoutMs) && options.callTimeoutMs >= 0)
  ) {
    throw bad(
      "callTimeoutMs",
      "must be an integer of at least 0",
      options.callTimeoutMs,
    );
  }
  if (!options.snapshot?.bytes || !options.state) {
    throw bad("snapshot and state", "are required", typeof options.snapshot);
  }
}
