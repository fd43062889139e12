/**
 * Checks a ShowFunctions filter (or SHOW FUNCTIONS LIKE pattern, once turned
 * into a glob) before the engine matches names against it: a size limit
 * and valid syntax. runtime/core/glob.ts matches in at most (name length x
 * pattern length) steps whatever the wildcards, so no pattern can stall the
 * server; an invalid class such as `[z-a]` is a 400, not a 500.
 * @module
 */
import { compileGlob, FsError, messageOf } from "../runtime/core/mod.ts";

/** Longest accepted pattern, in characters (names have at most 128). */
export const MAX_FILTER_LENGTH = 256;

/**
 * Accepts a glob pattern that is short enough and valid.
 *
 * @throws {FsError} BAD_REQUEST naming the limit or the syntax problem.
 */
export function checkFilterPattern(pattern: string): void {
  if (pattern.length > MAX_FILTER_LENGTH) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot list functions as the filter is longer than ${MAX_FILTER_LENGTH} characters: current length is ${pattern.length}`,
    );
  }
  try {
    compileGlob(pattern);
  } catch (error) {
    const shown = JSON.stringify(
      pattern.length > 80 ? `${pattern.slice(0, 77)}...` : pattern,
    );
    throw new FsError(
      "BAD_REQUEST",
      `Cannot list functions as the filter is not a valid glob pattern (${
        messageOf(error)
      }): current value is ${shown}`,
    );
  }
}
