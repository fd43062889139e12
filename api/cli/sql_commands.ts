/**
 * `sql` runs one ExecuteSql statement; `repl` runs statements read from
 * stdin, one per line.
 * @module
 */
import { SUPPORTED_STATEMENTS } from "../mod.ts";
import type { CommandContext, CommandSpec } from "./command.ts";
import { ExitCode, expectOk, toCliError } from "./errors.ts";
import { readLines } from "./line_reader.ts";
import { replyJson } from "./output.ts";

const PROMPT = "fs> ";

/** What `help` prints inside the repl. */
export const REPL_HELP = [
  "Statements (one per line, a trailing ';' is optional):",
  ...SUPPORTED_STATEMENTS.map((statement) => `  ${statement}`),
  "Commands:",
  "  help           show this list",
  "  exit, quit     end the session (so does end of input)",
].join("\n");

/** Runs one statement and prints its message (or JSON); throws on failure. */
async function runStatement(
  context: CommandContext,
  sql: string,
): Promise<void> {
  const reply = expectOk(await context.client().executeSql(sql));
  context.out.result(reply.message, replyJson(reply));
}

const sql: CommandSpec = {
  name: "sql",
  synopsis: 'sql "STATEMENT"',
  summary: "run one SQL statement",
  help: "Runs one statement with ExecuteSql and prints the server's message\n" +
    "(with --json: status_code, message and the decoded data). Several\n" +
    "arguments are joined with spaces.\n\n" +
    REPL_HELP.split("\nCommands:")[0],
  flags: {},
  minArgs: 1,
  maxArgs: Infinity,
  argNames: ["STATEMENT"],
  async run(context, parsed) {
    await runStatement(context, parsed.positionals.join(" "));
    return ExitCode.OK;
  },
};

function isExit(line: string): boolean {
  const word = line.replace(/;$/, "").trim().toLowerCase();
  return word === "exit" || word === "quit";
}

const repl: CommandSpec = {
  name: "repl",
  synopsis: "repl",
  summary: "run SQL statements read from stdin, one per line",
  help: "Reads statements from stdin, one per line, and runs each with\n" +
    "ExecuteSql, printing the result or the error. Shows the prompt 'fs> '\n" +
    "when stdin is a terminal. Blank lines and lines starting with '--' are\n" +
    "skipped. Exits 0 when every statement succeeded, else with the exit code\n" +
    "of the last one that failed.\n\n" + REPL_HELP,
  flags: {},
  minArgs: 0,
  maxArgs: 0,
  argNames: [],
  async run(context) {
    const { out } = context;
    const prompt = () => {
      if (context.stdinIsTerminal) out.stdout.write(PROMPT);
    };
    let exitCode: number = ExitCode.OK;
    let ended = false;
    prompt();
    for await (const raw of readLines(context.stdin())) {
      const line = raw.trim();
      if (isExit(line)) {
        ended = true;
        break;
      }
      if (line.toLowerCase().replace(/;$/, "") === "help") {
        out.line(REPL_HELP);
      } else if (line !== "" && !line.startsWith("--")) {
        try {
          await runStatement(context, line);
        } catch (error) {
          const failure = toCliError(error);
          out.error(failure.message);
          exitCode = failure.exitCode;
        }
      }
      prompt();
    }
    // End of input leaves the cursor after the prompt; end the line.
    if (!ended && context.stdinIsTerminal) out.stdout.write("\n");
    return exitCode;
  },
};

/** The SQL commands. */
export const SQL_COMMANDS: readonly CommandSpec[] = [sql, repl];
