/**
 * Where the CLI writes, and how: text lines or one JSON document per result
 * on stdout, progress and errors on stderr.
 * @module
 */

/** A text sink: the process's stdout/stderr, or a test's buffer. */
export interface TextWriter {
  /** Writes `text` as it is (callers add newlines). */
  write(text: string): void;
}

const encoder = new TextEncoder();

function fileWriter(file: { writeSync(data: Uint8Array): number }): TextWriter {
  return {
    write(text) {
      let bytes = encoder.encode(text);
      // writeSync may write less than asked (pipes); loop until all is out.
      while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
    },
  };
}

/** A writer on the process's standard output. */
export function stdoutWriter(): TextWriter {
  return fileWriter(Deno.stdout);
}

/** A writer on the process's standard error. */
export function stderrWriter(): TextWriter {
  return fileWriter(Deno.stderr);
}

/** Output of one CLI run: results on stdout, progress and errors on stderr. */
export class CliOutput {
  /** Results go here. */
  readonly stdout: TextWriter;
  /** Progress lines, errors and usage after an error go here. */
  readonly stderr: TextWriter;
  /** Whether results are printed as JSON (`--json`). */
  readonly json: boolean;

  /** Creates the output over two writers. */
  constructor(stdout: TextWriter, stderr: TextWriter, json: boolean) {
    this.stdout = stdout;
    this.stderr = stderr;
    this.json = json;
  }

  /** Prints a result: `value` as one line of JSON with `--json`, else `text`. */
  result(text: string, value: unknown): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value)}\n`);
    else this.stdout.write(`${text}\n`);
  }

  /** Prints a line of text on stdout, whatever the mode (help, prompts use `write`). */
  line(text: string): void {
    this.stdout.write(`${text}\n`);
  }

  /** Prints a progress line on stderr, so stdout stays clean for results. */
  progress(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** Prints an error line on stderr. */
  error(text: string): void {
    this.stderr.write(`${text}\n`);
  }
}

/** Formats a byte count for people: "512 B", "12.3 KiB", "4.0 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Formats `label: value` pairs with the values aligned in one column. */
export function formatFields(fields: [label: string, value: string][]): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length)) + 1;
  return fields
    .map(([label, value]) => `${`${label}:`.padEnd(width)} ${value}`)
    .join("\n");
}

/**
 * Decodes the optional `data` of a reply: parsed JSON when it is UTF-8 JSON,
 * base64 text otherwise, `undefined` when absent.
 */
export function decodeReplyData(data: Uint8Array | undefined): unknown {
  if (data === undefined) return undefined;
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data));
  } catch {
    let binary = "";
    for (const byte of data) binary += String.fromCharCode(byte);
    return { base64: btoa(binary) };
  }
}

/** The JSON shape of a `Response` reply: status, message, decoded data. */
export function replyJson(
  reply: { status_code: number; message: string; data?: Uint8Array },
): Record<string, unknown> {
  const value: Record<string, unknown> = {
    status_code: reply.status_code,
    message: reply.message,
  };
  const data = decodeReplyData(reply.data);
  if (data !== undefined) value.data = data;
  return value;
}
