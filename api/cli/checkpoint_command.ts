/**
 * `checkpoint`: trigger, list and restore a function's checkpoints with
 * TriggerCheckpoint, ListCheckpoints and RestoreCheckpoint.
 *
 * With `--json`, int64 fields (ids, times, sizes, offsets) are decimal
 * strings, as in the proto3 JSON mapping, so they stay exact beyond 2^53.
 * @module
 */
import type {
  CheckpointInfoMessage,
  CheckpointPositionMessage,
} from "../mod.ts";
import type { CommandContext, CommandSpec, ParsedCommand } from "./command.ts";
import { ExitCode, expectOk, usageError } from "./errors.ts";
import { formatBytes, replyJson } from "./output.ts";

/** Positions shown per row of the text table; `--json` has them all. */
export const MAX_POSITIONS_SHOWN = 4;

const INT64_MAX = (1n << 63n) - 1n;

const ACTIONS = ["trigger", "list", "restore"] as const;

type Action = typeof ACTIONS[number];

/** Formats positions as `topic[partition]@next_offset`, at most `max` of them. */
export function formatPositions(
  positions: CheckpointPositionMessage[],
  max: number = MAX_POSITIONS_SHOWN,
): string {
  if (positions.length === 0) return "-";
  const shown = positions.slice(0, max).map((position) =>
    `${position.topic}[${position.partition}]@${position.next_offset}`
  );
  const rest = positions.length - shown.length;
  if (rest > 0) shown.push(`(+${rest} more)`);
  return shown.join(" ");
}

/** Formats epoch milliseconds (an int64 string) as ISO 8601 UTC; the raw value when out of range. */
export function formatCreatedAt(createdAtMs: string): string {
  const date = new Date(Number(createdAtMs));
  return Number.isNaN(date.getTime()) ? createdAtMs : date.toISOString();
}

/**
 * Formats checkpoints as an aligned table (ID, CREATED in UTC, SIZE,
 * POSITIONS) with a count line, or a sentence when there are none.
 */
export function formatCheckpointTable(
  checkpoints: CheckpointInfoMessage[],
  functionName: string,
): string {
  const scope = `of function '${functionName}'`;
  if (checkpoints.length === 0) return `No checkpoints ${scope}`;
  const headers = ["ID", "CREATED", "SIZE", "POSITIONS"];
  const table = checkpoints.map((checkpoint) => [
    checkpoint.checkpoint_id,
    formatCreatedAt(checkpoint.created_at_ms),
    formatBytes(Number(checkpoint.size_bytes)),
    formatPositions(checkpoint.positions),
  ]);
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...table.map((cells) => cells[column].length))
  );
  const line = (cells: string[]) =>
    cells.map((text, column) => text.padEnd(widths[column])).join("  ")
      .trimEnd();
  const count = `(${checkpoints.length} checkpoint${
    checkpoints.length === 1 ? "" : "s"
  } ${scope})`;
  return [line(headers), ...table.map(line), count].join("\n");
}

/**
 * Checks a CHECKPOINT_ID argument: a non-negative integer in the int64
 * range, returned as canonical decimal text. Throws a usage error (exit 2).
 */
export function parseCheckpointIdArg(text: string, usage?: string): string {
  const valid = /^\d+$/.test(text) && BigInt(text) <= INT64_MAX;
  if (!valid) {
    throw usageError(
      `Cannot use CHECKPOINT_ID as it is not a non-negative 64-bit integer: current value is '${text}'`,
      usage,
    );
  }
  return BigInt(text).toString();
}

function checkArity(action: Action, parsed: ParsedCommand): void {
  const wanted = action === "restore" ? 3 : 2;
  const count = parsed.positionals.length;
  if (count < wanted) {
    throw usageError("missing argument CHECKPOINT_ID", parsed.usage);
  }
  if (count > wanted) {
    throw usageError(
      `unexpected argument '${parsed.positionals[wanted]}'`,
      parsed.usage,
    );
  }
}

async function run(
  context: CommandContext,
  parsed: ParsedCommand,
): Promise<number> {
  const [word, name] = parsed.positionals;
  const action = ACTIONS.find((candidate) => candidate === word);
  if (action === undefined) {
    throw usageError(
      `unknown checkpoint action '${word}': use ${ACTIONS.join(", ")}`,
      parsed.usage,
    );
  }
  checkArity(action, parsed);
  const client = context.client();
  if (action === "trigger") {
    const reply = expectOk(await client.triggerCheckpoint(name));
    context.out.result(reply.message, {
      status_code: reply.status_code,
      message: reply.message,
      checkpoint_id: reply.checkpoint_id,
    });
  } else if (action === "list") {
    const reply = expectOk(await client.listCheckpoints(name));
    context.out.result(
      formatCheckpointTable(reply.checkpoints, name),
      reply.checkpoints,
    );
  } else {
    const id = parseCheckpointIdArg(parsed.positionals[2], parsed.usage);
    const reply = expectOk(await client.restoreCheckpoint(name, id));
    context.out.result(reply.message, replyJson(reply));
  }
  return ExitCode.OK;
}

/** The `checkpoint` command. */
export const CHECKPOINT_COMMAND: CommandSpec = {
  name: "checkpoint",
  synopsis: "checkpoint trigger|list|restore NAME [CHECKPOINT_ID]",
  summary: "trigger, list or restore a function's checkpoints",
  help: [
    "checkpoint trigger NAME",
    "    Takes a checkpoint of a running function now and prints its id once",
    "    it is complete. The function's task config must enable checkpoints.",
    "checkpoint list NAME",
    "    Lists the function's complete checkpoints, oldest first: ID, CREATED",
    "    (UTC), SIZE, and POSITIONS as topic[partition]@next_offset (the first",
    `    ${MAX_POSITIONS_SHOWN} per row; --json prints them all, int64 fields as strings).`,
    "checkpoint restore NAME CHECKPOINT_ID",
    "    Rewinds a stopped function's state and input positions to a",
    "    checkpoint and deletes the checkpoints taken after it; the next",
    "    start resumes from there. There is no confirmation. Stop the",
    "    function first ('stop NAME') and start it afterwards ('start NAME').",
  ].join("\n"),
  flags: {},
  minArgs: 2,
  maxArgs: 3,
  argNames: ["ACTION", "NAME", "CHECKPOINT_ID"],
  run,
};
