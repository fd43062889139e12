/**
 * Reading text lines from a byte stream (the repl's stdin).
 * @module
 */

/**
 * Yields the lines of a UTF-8 byte stream without their `\n` or `\r\n`; a
 * last line without a newline is yielded too. Stopping early (a `break` in
 * `for await`) releases the stream's lock without cancelling it.
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      buffer += done
        ? decoder.decode()
        : decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        yield line.endsWith("\r") ? line.slice(0, -1) : line;
      }
      if (done) break;
    }
    if (buffer !== "") yield buffer;
  } finally {
    reader.releaseLock();
  }
}
