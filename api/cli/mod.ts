/**
 * The management CLI: commands that drive a Function Stream server over
 * gRPC (list, create, start, stop, drop, status, checkpoint, sql, repl).
 *
 * ```ts
 * const code = await runCli(["list", "etl-*", "--port", "8080"]);
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { CHECKPOINT_COMMAND } from "./checkpoint_command.ts";
import { FunctionStreamClient } from "./client.ts";
import {
  type CommandContext,
  type CommandSpec,
  commandUsage,
  GLOBAL_FLAGS,
  GLOBAL_HELP,
  type GlobalConfig,
  type ParsedCommand,
} from "./command.ts";
import { CREATE_COMMAND } from "./create_command.ts";
import { ExitCode, toCliError, usageError } from "./errors.ts";
import { FUNCTION_COMMANDS } from "./function_commands.ts";
import {
  CliOutput,
  stderrWriter,
  stdoutWriter,
  type TextWriter,
} from "./output.ts";
import { SQL_COMMANDS } from "./sql_commands.ts";

export { ExitCode } from "./errors.ts";
export type { TextWriter } from "./output.ts";

/** Options for {@link runCli}. */
export interface RunCliOptions {
  /**
   * Where results and help go.
   * @default the process's stdout
   */
  stdout?: TextWriter;
  /**
   * Where progress lines, errors and usage after an error go.
   * @default the process's stderr
   */
  stderr?: TextWriter;
  /**
   * What the repl reads.
   * @default the process's stdin
   */
  stdin?: ReadableStream<Uint8Array>;
  /**
   * Whether stdin is a terminal (the repl then prints a prompt).
   * @default `Deno.stdin.isTerminal()` when `stdin` is not given, else false
   */
  stdinIsTerminal?: boolean;
  /**
   * Reads an environment variable (FS_TOKEN).
   * @default `Deno.env.get`, or nothing without env permission
   */
  env?: (name: string) => string | undefined;
  /**
   * How the program is invoked, for usage lines.
   * @default "deno task cli"
   */
  program?: string;
}

const COMMANDS: readonly CommandSpec[] = [
  FUNCTION_COMMANDS[0],
  CREATE_COMMAND,
  ...FUNCTION_COMMANDS.slice(1),
  CHECKPOINT_COMMAND,
  ...SQL_COMMANDS,
];

const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = 8080;
const DEFAULT_TIMEOUT_SECONDS = 30;

function generalUsage(program: string): string {
  const rows = [
    ...COMMANDS.map((spec) => [spec.name, spec.summary]),
    ["help", "show help (also: COMMAND --help)"],
  ];
  return [
    `Usage: ${program} COMMAND [ARGS] [options]`,
    "",
    "Manages functions on a Function Stream server over gRPC.",
    "",
    "Commands:",
    ...rows.map(([name, summary]) => `  ${name.padEnd(10)} ${summary}`),
    "",
    GLOBAL_HELP,
    "",
    "Exit codes: 0 ok, 1 the server answered with an error, 2 usage error,",
    "3 the server cannot be reached, 4 timeout.",
    `Run '${program} COMMAND --help' for the options of a command.`,
  ].join("\n");
}

/** Index of the command word: the first argument that is not a global flag or its value. */
function findCommand(args: string[]): number {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return i + 1 < args.length ? i + 1 : -1;
    if (arg.startsWith("-") && arg !== "-") {
      const name = arg.replace(/^--?/, "").split("=")[0];
      if (GLOBAL_FLAGS[name]?.type === "string" && !arg.includes("=")) i++;
      continue;
    }
    return i;
  }
  return -1;
}

function parseFlags(
  args: string[],
  flags: Record<string, { type: "string" | "boolean" }>,
  usage: string,
): { values: ParsedCommand["values"]; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...GLOBAL_FLAGS, ...flags },
      strict: true,
      allowPositionals: true,
    });
    return { values: values as ParsedCommand["values"], positionals };
  } catch (error) {
    // parseArgs appends advice about "--" that does not fit a short error line.
    const message = (error instanceof Error ? error.message : String(error))
      .split(". To specify a positional")[0];
    throw usageError(message, usage);
  }
}

function hostForAddress(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

function resolveConfig(
  values: ParsedCommand["values"],
  env: (name: string) => string | undefined,
  usage: string,
): GlobalConfig {
  const text = (name: string) =>
    typeof values[name] === "string" ? values[name] as string : undefined;
  const host = text("host") ?? DEFAULT_HOST;
  if (host.trim() === "") {
    throw usageError(
      "Cannot use --host as it is empty: current value is ''",
      usage,
    );
  }
  const portText = text("port") ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw usageError(
      `Cannot use --port as it is not a port number (1-65535): current value is '${portText}'`,
      usage,
    );
  }
  const timeoutText = text("timeout") ?? String(DEFAULT_TIMEOUT_SECONDS);
  const seconds = Number(timeoutText);
  if (!/^\d+(\.\d+)?$/.test(timeoutText) || !(seconds > 0)) {
    throw usageError(
      `Cannot use --timeout as it is not a positive number of seconds: current value is '${timeoutText}'`,
      usage,
    );
  }
  const token = text("token") || env("FS_TOKEN") || undefined;
  return {
    host,
    port,
    address: `${hostForAddress(host)}:${port}`,
    timeoutMs: Math.round(seconds * 1000),
    token,
    json: values.json === true,
  };
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no env permission: behave as if unset
  }
}

/** Finds the command, parses its flags and arguments; help is answered here. */
function prepare(
  args: string[],
  program: string,
): { spec: CommandSpec; parsed: ParsedCommand } | { help: string } {
  const general = generalUsage(program);
  const index = findCommand(args);
  if (index < 0) {
    const { values } = parseFlags(args, {}, general);
    if (values.help === true) return { help: general };
    throw usageError("missing command", general);
  }
  const name = args[index];
  const rest = [...args.slice(0, index), ...args.slice(index + 1)];
  if (name === "help") {
    const { positionals } = parseFlags(rest, {}, general);
    if (positionals.length === 0) return { help: general };
    const topic = COMMANDS.find((spec) => spec.name === positionals[0]);
    if (topic === undefined || positionals.length > 1) {
      throw usageError(`no help for '${positionals.join(" ")}'`, general);
    }
    return { help: commandUsage(topic, program) };
  }
  const spec = COMMANDS.find((candidate) => candidate.name === name);
  if (spec === undefined) {
    throw usageError(`unknown command '${name}'`, general);
  }
  const usage = commandUsage(spec, program);
  const { values, positionals } = parseFlags(rest, spec.flags, usage);
  if (values.help === true) return { help: usage };
  if (positionals.length < spec.minArgs) {
    throw usageError(
      `missing argument ${spec.argNames[positionals.length]}`,
      usage,
    );
  }
  if (positionals.length > spec.maxArgs) {
    throw usageError(
      `unexpected argument '${positionals[spec.maxArgs]}'`,
      usage,
    );
  }
  return { spec, parsed: { values, positionals, usage } };
}

/**
 * Runs the CLI with `args` (the words after `cli`) and returns the exit code:
 * 0 ok, 1 the server answered with an error, 2 usage error, 3 the server
 * cannot be reached, 4 timeout. Never throws and never exits the process.
 */
export async function runCli(
  args: string[],
  options: RunCliOptions = {},
): Promise<number> {
  const stdout = options.stdout ?? stdoutWriter();
  const stderr = options.stderr ?? stderrWriter();
  const program = options.program ?? "deno task cli";
  let client: FunctionStreamClient | undefined;
  try {
    const prepared = prepare(args, program);
    if ("help" in prepared) {
      stdout.write(`${prepared.help}\n`);
      return ExitCode.OK;
    }
    const { spec, parsed } = prepared;
    const config = resolveConfig(
      parsed.values,
      options.env ?? readEnv,
      parsed.usage,
    );
    const context: CommandContext = {
      config,
      out: new CliOutput(stdout, stderr, config.json),
      client: () =>
        client ??= new FunctionStreamClient(config.address, {
          timeoutMs: config.timeoutMs,
          token: config.token,
        }),
      stdin: () => options.stdin ?? Deno.stdin.readable,
      stdinIsTerminal: options.stdinIsTerminal ??
        (options.stdin === undefined && Deno.stdin.isTerminal()),
    };
    return await spec.run(context, parsed);
  } catch (error) {
    const failure = toCliError(error);
    stderr.write(`${failure.message}\n`);
    if (failure.usage) stderr.write(`\n${failure.usage}\n`);
    return failure.exitCode;
  } finally {
    client?.close();
  }
}
