/**
 * What every CLI command is made of: its flags, its arguments, its help
 * text, and the context it runs in.
 * @module
 */
import type { FunctionStreamClient } from "./client.ts";
import type { CliOutput } from "./output.ts";

/** Global settings, resolved from flags and the environment. */
export interface GlobalConfig {
  /** Server host. */
  host: string;
  /** Server port. */
  port: number;
  /** "host:port" to dial (IPv6 hosts in brackets). */
  address: string;
  /** Deadline of each request and of waits, in milliseconds. */
  timeoutMs: number;
  /** Bearer token, when set by `--token` or FS_TOKEN. */
  token?: string;
  /** Whether results are printed as JSON. */
  json: boolean;
}

/** What a command can use while it runs. */
export interface CommandContext {
  /** Resolved global settings. */
  config: GlobalConfig;
  /** Where results, progress and errors go. */
  out: CliOutput;
  /** The client, created on first use and closed by `runCli`. */
  client(): FunctionStreamClient;
  /** Standard input (only the repl reads it). */
  stdin(): ReadableStream<Uint8Array>;
  /** Whether stdin is a terminal (the repl then prints a prompt). */
  stdinIsTerminal: boolean;
}

/** One flag of a command, in `node:util` parseArgs form. */
export interface FlagSpec {
  /** Whether the flag takes a value. */
  type: "string" | "boolean";
  /** Whether it may be given several times (values collected in order). */
  multiple?: boolean;
}

/** Flags and arguments as parsed for a command. */
export interface ParsedCommand {
  /** Flag values by name (strings, booleans, or string lists). */
  values: Record<string, string | boolean | string[] | undefined>;
  /** Arguments after the command name. */
  positionals: string[];
  /** The command's usage text, for usage errors raised while running. */
  usage: string;
}

/** A CLI command. */
export interface CommandSpec {
  /** The word that selects it, e.g. "list". */
  name: string;
  /** Arguments and flags in one line, e.g. "drop NAME [--if-exists]". */
  synopsis: string;
  /** One line for the command list. */
  summary: string;
  /** Longer help: what it does and its own flags. */
  help: string;
  /** Its own flags (the global ones are added by `runCli`). */
  flags: Record<string, FlagSpec>;
  /** Fewest arguments. */
  minArgs: number;
  /** Most arguments (Infinity for any number). */
  maxArgs: number;
  /** Names of the arguments, for "missing argument NAME" messages. */
  argNames: string[];
  /** Runs the command and returns the exit code. */
  run(context: CommandContext, parsed: ParsedCommand): Promise<number>;
}

/** Global flags, valid before or after the command. */
export const GLOBAL_FLAGS: Record<string, FlagSpec & { short?: string }> = {
  host: { type: "string" },
  port: { type: "string" },
  timeout: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

/** Help text of the global flags. */
export const GLOBAL_HELP = `Global options:
  --host HOST       server host (default 127.0.0.1)
  --port PORT       server gRPC port (default 8080)
  --timeout SECS    deadline of each request and of waits (default 30)
  --token TOKEN     sent as "authorization: Bearer TOKEN" (default: env FS_TOKEN)
  --json            print results as JSON, one document per line
  -h, --help        show help`;

/** The full usage text of a command. */
export function commandUsage(spec: CommandSpec, program: string): string {
  return `Usage: ${program} ${spec.synopsis}\n\n${spec.help}\n\n${GLOBAL_HELP}`;
}

/** Reads a string flag; `undefined` when absent. */
export function stringFlag(
  parsed: ParsedCommand,
  name: string,
): string | undefined {
  const value = parsed.values[name];
  return typeof value === "string" ? value : undefined;
}

/** Reads a repeatable string flag; empty when absent. */
export function listFlag(parsed: ParsedCommand, name: string): string[] {
  const value = parsed.values[name];
  return Array.isArray(value) ? value : [];
}

/** Reads a boolean flag; false when absent. */
export function booleanFlag(parsed: ParsedCommand, name: string): boolean {
  return parsed.values[name] === true;
}
