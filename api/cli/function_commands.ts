/**
 * Commands on existing functions: list, start, stop, drop, status.
 * @module
 */
import {
  formatFunctionTable,
  type FunctionRowJson,
  type ResponseMessage,
  StatusCode,
} from "../mod.ts";
import type { CallOptions, FunctionStreamClient } from "./client.ts";
import {
  booleanFlag,
  type CommandContext,
  type CommandSpec,
} from "./command.ts";
import { ExitCode, expectOk, serverError } from "./errors.ts";
import { decodeReplyData, formatFields, replyJson } from "./output.ts";

/**
 * Quotes a function name as a SQL LIKE string that matches only that name:
 * `\`, `%` and `_` are escaped, `'` is doubled.
 */
export function likeLiteral(name: string): string {
  const escaped = name.replace(/[\\%_]/g, (char) => `\\${char}`);
  return `'${escaped.replaceAll("'", "''")}'`;
}

function isRow(value: unknown): value is FunctionRowJson {
  const row = value as FunctionRowJson;
  return typeof row === "object" && row !== null &&
    typeof row.name === "string" && typeof row.status === "string";
}

/**
 * Looks up one function with `SHOW FUNCTIONS LIKE` (whose JSON rows carry
 * `last_error`); `undefined` when the server has no function of that name.
 * Throws a server error (exit 1) when the server answers with an error.
 */
export async function fetchFunctionRow(
  client: FunctionStreamClient,
  name: string,
  options?: CallOptions,
): Promise<FunctionRowJson | undefined> {
  const reply = expectOk(
    await client.executeSql(
      `SHOW FUNCTIONS LIKE ${likeLiteral(name)}`,
      options,
    ),
  );
  const rows = decodeReplyData(reply.data);
  if (Array.isArray(rows)) {
    return rows.filter(isRow).find((row) => row.name === name);
  }
  // A server that sends no JSON rows: fall back to ShowFunctions (no errors).
  const shown = expectOk(await client.showFunctions(name, options));
  return shown.functions.find((info) => info.name === name);
}

/** The 404 error for a name the server does not know. */
export function notFound(name: string): Error {
  return serverError(
    StatusCode.NOT_FOUND,
    `Function '${name}' does not exist`,
  );
}

function printReply(
  context: CommandContext,
  reply: ResponseMessage,
): number {
  context.out.result(reply.message, replyJson(reply));
  return ExitCode.OK;
}

const list: CommandSpec = {
  name: "list",
  synopsis: "list [PATTERN]",
  summary: "list functions with their type and status",
  help:
    "Lists functions with their name, task type and status. PATTERN is a glob\n" +
    "on names: * any run, ? one character, [abc] a class (e.g. 'etl-*').",
  flags: {},
  minArgs: 0,
  maxArgs: 1,
  argNames: ["PATTERN"],
  async run(context, parsed) {
    const pattern = parsed.positionals[0];
    const reply = expectOk(await context.client().showFunctions(pattern));
    const rows = reply.functions.map(({ name, task_type, status }) => ({
      name,
      task_type,
      status,
    }));
    const scope = pattern === undefined || pattern === "" ? undefined : pattern;
    context.out.result(formatFunctionTable(rows, scope), rows);
    return ExitCode.OK;
  },
};

function lifecycle(
  name: "start" | "stop",
  summary: string,
): CommandSpec {
  return {
    name,
    synopsis: `${name} NAME`,
    summary,
    help: `${summary[0].toUpperCase()}${summary.slice(1)}. ${
      name === "start"
        ? "Starting a running function succeeds."
        : "Stopping a stopped function succeeds; its state is kept."
    }`,
    flags: {},
    minArgs: 1,
    maxArgs: 1,
    argNames: ["NAME"],
    async run(context, parsed) {
      const client = context.client();
      const target = parsed.positionals[0];
      const reply = name === "start"
        ? await client.startFunction(target)
        : await client.stopFunction(target);
      return printReply(context, expectOk(reply));
    },
  };
}

const drop: CommandSpec = {
  name: "drop",
  synopsis: "drop NAME [--if-exists]",
  summary: "stop a function and remove it with its modules and state",
  help:
    "Stops a function and removes it, its modules and its state. There is\n" +
    "no confirmation.\n\n" +
    "Options:\n" +
    "  --if-exists       exit 0 when the function does not exist",
  flags: { "if-exists": { type: "boolean" } },
  minArgs: 1,
  maxArgs: 1,
  argNames: ["NAME"],
  async run(context, parsed) {
    const reply = await context.client().dropFunction(parsed.positionals[0]);
    if (
      reply.status_code === StatusCode.NOT_FOUND &&
      booleanFlag(parsed, "if-exists")
    ) {
      context.out.result(
        `${reply.message} (--if-exists: nothing to drop)`,
        replyJson(reply),
      );
      return ExitCode.OK;
    }
    return printReply(context, expectOk(reply));
  },
};

const status: CommandSpec = {
  name: "status",
  synopsis: "status NAME",
  summary: "show a function's status and its last error",
  help: "Shows a function's task type, status, and its last error when the\n" +
    "server reports one.",
  flags: {},
  minArgs: 1,
  maxArgs: 1,
  argNames: ["NAME"],
  async run(context, parsed) {
    const name = parsed.positionals[0];
    const row = await fetchFunctionRow(context.client(), name);
    if (row === undefined) throw notFound(name);
    const fields: [string, string][] = [
      ["name", row.name],
      ["type", row.task_type],
      ["status", row.status],
    ];
    if (row.last_error) fields.push(["last error", row.last_error]);
    context.out.result(formatFields(fields), row);
    return ExitCode.OK;
  },
};

/** The commands on existing functions. */
export const FUNCTION_COMMANDS: readonly CommandSpec[] = [
  list,
  lifecycle("start", "start a function"),
  lifecycle("stop", "stop a function"),
  drop,
  status,
];
