/**
 * Checks an upload before anything is stored: class name, module names and
 * sizes. Every violation is a BAD_REQUEST (or LIMIT_EXCEEDED) naming the limit.
 * @module
 */
import { type CreatePythonFunctionInput, FsError } from "../core/mod.ts";

/** Limits on one CreatePythonFunction upload. */
export interface UploadLimits {
  /** Most modules in one upload. @default 256 */
  maxModules: number;
  /** Largest single module source, in bytes. @default 4 MiB */
  maxModuleBytes: number;
  /** Largest upload (all modules plus config), in bytes. @default 16 MiB */
  maxTotalBytes: number;
}

/** The limits used when none are configured. */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxModules: 256,
  maxModuleBytes: 4 * 1024 * 1024,
  maxTotalBytes: 16 * 1024 * 1024,
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Returns whether `name` is a dotted Python module path such as `pkg.mod`. */
export function isModulePath(name: string): boolean {
  return name.length <= 255 &&
    name.split(".").every((part) => IDENTIFIER.test(part));
}

/**
 * Checks class name, module names and sizes of an upload.
 *
 * @throws {FsError} BAD_REQUEST or LIMIT_EXCEEDED naming the problem.
 */
export function checkUpload(
  input: CreatePythonFunctionInput,
  limits: Partial<UploadLimits> = {},
): void {
  const { maxModules, maxModuleBytes, maxTotalBytes } = {
    ...DEFAULT_UPLOAD_LIMITS,
    ...limits,
  };
  if (!IDENTIFIER.test(input.className)) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot use class_name as it is not a Python class name: current value is ${
        JSON.stringify(input.className)
      }`,
    );
  }
  if (input.modules.length === 0) {
    throw new FsError(
      "BAD_REQUEST",
      "Cannot create a Python function without modules",
    );
  }
  if (input.modules.length > maxModules) {
    throw new FsError(
      "LIMIT_EXCEEDED",
      `Cannot accept ${input.modules.length} modules as the limit is ${maxModules} modules`,
    );
  }
  let total = new TextEncoder().encode(input.configYaml).length;
  const seen = new Set<string>();
  for (const module of input.modules) {
    if (!isModulePath(module.name)) {
      throw new FsError(
        "BAD_REQUEST",
        `Cannot use module name ${
          JSON.stringify(module.name)
        } as it is not a dotted Python module path (like 'pkg.module')`,
      );
    }
    if (seen.has(module.name)) {
      throw new FsError(
        "BAD_REQUEST",
        `Cannot upload module '${module.name}' twice`,
      );
    }
    seen.add(module.name);
    if (module.source.length > maxModuleBytes) {
      throw new FsError(
        "LIMIT_EXCEEDED",
        `Cannot accept module '${module.name}' of ${module.source.length} bytes as the limit is ${maxModuleBytes} bytes per module`,
      );
    }
    total += module.source.length;
  }
  if (total > maxTotalBytes) {
    throw new FsError(
      "LIMIT_EXCEEDED",
      `Cannot accept an upload of ${total} bytes as the limit is ${maxTotalBytes} bytes in total`,
    );
  }
}
