import assert from "node:assert/strict";
import {
  booleanFlag,
  type CommandSpec,
  commandUsage,
  listFlag,
  type ParsedCommand,
  stringFlag,
} from "./command.ts";

Deno.test("flag readers return typed values and defaults for absent flags", () => {
  const parsed: ParsedCommand = {
    values: { file: "a.py", module: ["x=y"], json: true },
    positionals: [],
    usage: "",
  };
  assert.equal(stringFlag(parsed, "file"), "a.py");
  assert.equal(stringFlag(parsed, "json"), undefined);
  assert.deepEqual(listFlag(parsed, "module"), ["x=y"]);
  assert.deepEqual(listFlag(parsed, "other"), []);
  assert.equal(booleanFlag(parsed, "json"), true);
  assert.equal(booleanFlag(parsed, "file"), false);
});

Deno.test("commandUsage() shows the program, the synopsis, the help and the global options", () => {
  const spec: CommandSpec = {
    name: "x",
    synopsis: "x NAME",
    summary: "do x",
    help: "Does x.",
    flags: {},
    minArgs: 1,
    maxArgs: 1,
    argNames: ["NAME"],
    run: () => Promise.resolve(0),
  };
  const usage = commandUsage(spec, "fs cli");
  assert.match(usage, /^Usage: fs cli x NAME\n\nDoes x\.\n\nGlobal options:\n/);
  assert.match(usage, /--token TOKEN/);
});
