/**
 * The state limits a function's sandbox enforces, taken from runtime/state so
 * that there is one definition of the key layout's budget (`userKeyBudget`).
 * @module
 */
import { MAX_KEY_BYTES, MAX_VALUE_BYTES, userKeyBudget } from "../state/mod.ts";
import type { StateLimits } from "./protocol.ts";

/**
 * The limits of function `fn` with the store name left out: Python subtracts
 * a store's name (its UTF-8 length plus its 0x00 bytes, as runtime/state sizes
 * a string part) when the store is opened.
 */
export function stateLimitsOf(fn: string): StateLimits {
  return {
    maxKeyBytes: MAX_KEY_BYTES,
    simpleBase: userKeyBudget(fn, "", "simple"),
    complexBase: userKeyBudget(fn, "", "complex"),
    maxValueBytes: MAX_VALUE_BYTES,
  };
}
