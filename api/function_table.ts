/**
 * How SHOW FUNCTIONS answers through ExecuteSql: a plain-text table for
 * people (in `Response.message`) and JSON rows for programs (in
 * `Response.data`).
 * @module
 */
import type { FunctionInfo } from "../runtime/core/mod.ts";

/**
 * One row of the JSON in `Response.data` (UTF-8): the data is an array of
 * these, e.g. `[{"name":"etl","task_type":"python","status":"RUNNING"}]`.
 * `last_error` is present only when the function has one.
 */
export interface FunctionRowJson {
  /** Function name. */
  name: string;
  /** Task type, e.g. "python". */
  task_type: string;
  /** Upper case status, e.g. "RUNNING". */
  status: string;
  /** The function's last error, when it has one. */
  last_error?: string;
}

/** Longest error text shown in a table cell; the JSON keeps the full text. */
const MAX_ERROR_CELL = 80;

/** Converts engine rows into the JSON row shape (snake_case, as on the wire). */
export function toFunctionRows(functions: FunctionInfo[]): FunctionRowJson[] {
  return functions.map((info) => {
    const row: FunctionRowJson = {
      name: info.name,
      task_type: info.taskType,
      status: info.status,
    };
    if (info.lastError) row.last_error = info.lastError;
    return row;
  });
}

/** Encodes rows as the UTF-8 JSON carried in `Response.data`. */
export function encodeFunctionRows(rows: FunctionRowJson[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(rows));
}

function cell(text: string): string {
  // One line per row: newlines and tabs in errors would break the columns.
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX_ERROR_CELL
    ? `${flat.slice(0, MAX_ERROR_CELL - 3)}...`
    : flat;
}

/**
 * Formats rows as an aligned text table with a count line, or a sentence
 * when there are none. The LAST ERROR column appears only when a row has one.
 */
export function formatFunctionTable(
  rows: FunctionRowJson[],
  pattern?: string,
): string {
  const scope = pattern === undefined ? "" : ` matching '${pattern}'`;
  if (rows.length === 0) return `No functions${scope}`;
  const headers = ["NAME", "TASK TYPE", "STATUS"];
  const withErrors = rows.some((row) => row.last_error !== undefined);
  if (withErrors) headers.push("LAST ERROR");
  const table = rows.map((row) => {
    const cells = [cell(row.name), cell(row.task_type), cell(row.status)];
    if (withErrors) cells.push(cell(row.last_error ?? ""));
    return cells;
  });
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...table.map((cells) => cells[column].length))
  );
  const line = (cells: string[]) =>
    cells.map((text, column) => text.padEnd(widths[column])).join("  ")
      .trimEnd();
  const count = `(${rows.length} function${
    rows.length === 1 ? "" : "s"
  }${scope})`;
  return [line(headers), ...table.map(line), count].join("\n");
}
