/**
 * Checks a ShowFunctions filter (or SHOW FUNCTIONS LIKE pattern, once turned
 * into a glob) before the engine matches names against it.
 *
 * Why: runtime/core/glob.ts compiles the glob into a backtracking regular
 * expression, so each `*` multiplies the work: `*?*?*?*?*c` takes about 4 s
 * per 128-character name on this machine, which would stall the whole
 * server's event loop (and every running function with it). An invalid
 * class such as `[z-a]` throws from the RegExp constructor (a 500). Until
 * the matcher is linear, the API refuses such patterns with a 400.
 * @module
 */
import { FsError, globToRegExp, messageOf } from "../runtime/core/mod.ts";

/** Longest accepted pattern, in characters (names have at most 128). */
export const MAX_FILTER_LENGTH = 256;

/** Most `*` wildcards in one pattern (2 keeps `*etl*` and `etl-*-prod`). */
export const MAX_FILTER_STARS = 2;

/** Counts the `*` outside character classes, the way glob.ts reads them. */
function countStars(pattern: string): number {
  let stars = 0;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "*") stars++;
    else if (char === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close !== -1) i = close;
    }
  }
  return stars;
}

/**
 * Accepts a glob pattern that is short, valid and cheap to match.
 *
 * @throws {FsError} BAD_REQUEST naming the limit or the syntax problem.
 */
export function checkFilterPattern(pattern: string): void {
  const shown = JSON.stringify(
    pattern.length > 80 ? `${pattern.slice(0, 77)}...` : pattern,
  );
  if (pattern.length > MAX_FILTER_LENGTH) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot list functions as the filter is longer than ${MAX_FILTER_LENGTH} characters: current length is ${pattern.length}`,
    );
  }
  const stars = countStars(pattern);
  if (stars > MAX_FILTER_STARS) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot list functions as the filter has ${stars} '*' wildcards ('%' in LIKE) and the limit is ${MAX_FILTER_STARS}: current value is ${shown}`,
    );
  }
  try {
    globToRegExp(pattern);
  } catch (error) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot list functions as the filter is not a valid glob pattern (${
        messageOf(error)
      }): current value is ${shown}`,
    );
  }
}
