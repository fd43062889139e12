/**
 * `create`: uploads a Python operator (its file, extra modules, the task
 * config YAML) with CreatePythonFunction, then waits until it runs.
 * @module
 */
import { basename, extname } from "node:path";
import { parse as parseYaml } from "yaml";
import type { PythonModuleMessage } from "../mod.ts";
import type { FunctionStreamClient } from "./client.ts";
import {
  booleanFlag,
  type CommandContext,
  type CommandSpec,
  listFlag,
  type ParsedCommand,
  stringFlag,
} from "./command.ts";
import { CliError, ExitCode, expectOk, usageError } from "./errors.ts";
import { fetchFunctionRow, notFound } from "./function_commands.ts";
import { formatBytes, replyJson } from "./output.ts";

const CLASS_PATTERN =
  /^[ \t]*class[ \t]+([A-Za-z_]\w*)[ \t]*\(([^)]*)\)[ \t]*:/gm;
const BASE_CLASS = /\bFSProcessorDriver\b/;
const MODULE_NAME = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/;
/** Longest pause between two status polls. */
const MAX_POLL_MS = 1_000;

/**
 * Names of the classes in Python `source` whose bases mention
 * FSProcessorDriver (`class X(FSProcessorDriver)`, `class X(fs_api.FSProcessorDriver)`).
 * A plain regex: classes in strings or comments count too.
 */
export function findDriverClasses(source: string): string[] {
  const names: string[] = [];
  for (const match of source.matchAll(CLASS_PATTERN)) {
    if (BASE_CLASS.test(match[2])) names.push(match[1]);
  }
  return names;
}

/** Picks the operator class: the one FSProcessorDriver subclass in the file. */
export function pickClassName(source: string, file: string): string {
  const found = findDriverClasses(source);
  if (found.length === 1) return found[0];
  const problem = found.length === 0
    ? "defines no subclass of FSProcessorDriver"
    : `defines several subclasses of FSProcessorDriver (${found.join(", ")})`;
  throw usageError(
    `Cannot choose the operator class as ${file} ${problem}: pass --class NAME`,
  );
}

async function readFileFor(flag: string, path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "the file does not exist"
      : `it cannot be read (${error instanceof Error ? error.message : error})`;
    throw new CliError(
      ExitCode.USAGE,
      `error: Cannot read ${flag} as ${why}: current value is '${path}'`,
      { cause: error },
    );
  }
}

function moduleNameOf(path: string, flag: string): string {
  const name = basename(path, extname(path));
  if (!MODULE_NAME.test(name)) {
    throw usageError(
      `Cannot name a module after ${flag} as its file name is not a Python identifier: ` +
        `current value is '${name}'${
          flag === "--module" ? "; use --module NAME=PATH" : ""
        }`,
    );
  }
  return name;
}

/** Splits `--module NAME=PATH` (or a bare PATH, named after its file). */
function parseModuleFlag(value: string): { name: string; path: string } {
  const equals = value.indexOf("=");
  if (equals > 0 && MODULE_NAME.test(value.slice(0, equals))) {
    return { name: value.slice(0, equals), path: value.slice(equals + 1) };
  }
  return { name: moduleNameOf(value, "--module"), path: value };
}

/** The function name from the task config, when the YAML says it. */
function functionNameOf(configYaml: string): string | undefined {
  try {
    const doc = parseYaml(configYaml) as { name?: unknown } | null;
    return typeof doc?.name === "string" ? doc.name : undefined;
  } catch {
    return undefined; // the server reports bad YAML with a 400
  }
}

/**
 * Reads every module to upload, dependencies (from `--module`, in order)
 * first and the operator's file last, and checks the names are unique.
 */
async function readModules(
  file: string,
  extra: string[],
): Promise<PythonModuleMessage[]> {
  const modules: PythonModuleMessage[] = [];
  for (const value of extra) {
    const { name, path } = parseModuleFlag(value);
    modules.push({
      module_name: name,
      module_bytes: await readFileFor("--module", path),
    });
  }
  modules.push({
    module_name: moduleNameOf(file, "--file"),
    module_bytes: await readFileFor("--file", file),
  });
  const seen = new Set<string>();
  for (const module of modules) {
    if (seen.has(module.module_name)) {
      throw usageError(
        `Cannot upload modules as two of them are named '${module.module_name}': ` +
          "current value is the --file and --module list; use --module NAME=PATH",
      );
    }
    seen.add(module.module_name);
  }
  return modules;
}

/** Polls until the function is RUNNING or FAILED, or the timeout passes. */
async function waitUntilRunning(
  client: FunctionStreamClient,
  name: string,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  let pause = 100;
  while (true) {
    const reply = expectOk(await client.showFunctions(name, { deadline }));
    const info = reply.functions.find((row) => row.name === name);
    if (info === undefined) throw notFound(name);
    if (info.status === "RUNNING") return info;
    // Only SHOW FUNCTIONS through ExecuteSql carries the last error.
    if (info.status === "FAILED") {
      return (await fetchFunctionRow(client, name, { deadline })) ?? info;
    }
    if (Date.now() + pause >= deadline) {
      throw new CliError(
        ExitCode.TIMEOUT,
        `error: timed out after ${
          timeoutMs / 1000
        } s waiting for function '${name}' to run: current status is ${info.status}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, MAX_POLL_MS);
  }
}

async function runCreate(
  context: CommandContext,
  parsed: ParsedCommand,
): Promise<number> {
  const file = stringFlag(parsed, "file");
  const config = stringFlag(parsed, "config");
  if (file === undefined) throw usageError("missing --file", parsed.usage);
  if (config === undefined) throw usageError("missing --config", parsed.usage);
  const modules = await readModules(file, listFlag(parsed, "module"));
  const operator = modules[modules.length - 1];
  const className = stringFlag(parsed, "class") ??
    pickClassName(new TextDecoder().decode(operator.module_bytes), file);
  const configYaml = new TextDecoder().decode(
    await readFileFor("--config", config),
  );
  const name = functionNameOf(configYaml);

  const { out } = context;
  const bytes = modules.reduce((sum, m) => sum + m.module_bytes.length, 0);
  const count = modules.length === 1 ? "1 module" : `${modules.length} modules`;
  out.progress(`uploading ${count} (${formatBytes(bytes)})...`);
  const client = context.client();
  const reply = expectOk(
    await client.createPythonFunction({
      class_name: className,
      modules,
      config_content: configYaml,
    }),
  );
  const created = { ...replyJson(reply), name: name ?? null };
  if (booleanFlag(parsed, "no-wait") || name === undefined) {
    out.result(reply.message, created);
    return ExitCode.OK;
  }
  out.progress("waiting until running...");
  const row = await waitUntilRunning(client, name, context.config.timeoutMs);
  const lastError = "last_error" in row ? row.last_error : undefined;
  const text = `${reply.message}\nFunction '${name}' is ${row.status}`;
  out.result(text, { ...created, status: row.status, last_error: lastError });
  if (row.status === "FAILED") {
    out.error(
      `error: Function '${name}' FAILED: ${lastError ?? "no error reported"}`,
    );
    return ExitCode.SERVER_ERROR;
  }
  return ExitCode.OK;
}

/** The `create` command. */
export const CREATE_COMMAND: CommandSpec = {
  name: "create",
  synopsis:
    "create --file OP.py --config TASK.yaml [--class NAME] [--module NAME=PATH ...] [--no-wait]",
  summary: "upload a Python operator with its task config and start it",
  help:
    "Uploads OP.py as a module named after the file, every --module before\n" +
    "it (dependencies first, in the order given), and TASK.yaml as the task\n" +
    "config; the server starts the function. Then waits until the function\n" +
    "is RUNNING or FAILED (at most --timeout seconds).\n\n" +
    "Options:\n" +
    "  --file PATH          the operator's Python file (required)\n" +
    "  --config PATH        the task config YAML (required)\n" +
    "  --class NAME         the operator class (default: the one class in the\n" +
    "                       file that subclasses FSProcessorDriver)\n" +
    "  --module NAME=PATH   an extra module the operator imports; repeatable\n" +
    "  --no-wait            return once the server accepted the function",
  flags: {
    file: { type: "string" },
    config: { type: "string" },
    class: { type: "string" },
    module: { type: "string", multiple: true },
    "no-wait": { type: "boolean" },
  },
  minArgs: 0,
  maxArgs: 0,
  argNames: [],
  run: runCreate,
};
