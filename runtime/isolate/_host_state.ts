/**
 * The host's answers to the worker's state reads, scoped by function name.
 * @module
 */
import type { StateBackend } from "../core/mod.ts";
import { errorCodeOf, FsError, messageOf } from "../core/mod.ts";
import type { StateReply, StateRequest } from "./protocol.ts";
import { packEntries } from "./_packing.ts";

/** Reads what the worker asked for; errors become error replies, never throws. */
export async function answerStateRequest(
  state: StateBackend,
  fn: string,
  request: StateRequest,
): Promise<{ reply: StateReply; transfer: Transferable[] }> {
  let reply: StateReply;
  const transfer: Transferable[] = [];
  try {
    if (typeof request?.store !== "string") {
      throw new FsError("BAD_REQUEST", "Cannot read state without a store");
    }
    if (request.op === "get") {
      const value = await state.get(fn, request.store, request.key);
      reply = { ok: true, value: value ?? undefined };
    } else {
      const options = { limit: request.limit, after: request.after };
      const entries = request.op === "listSimple"
        ? await state.listSimple(fn, request.store, request.range, options)
        : await state.listComplex(
          fn,
          request.store,
          request.prefix,
          request.range,
          options,
        );
      const page = packEntries(entries, request.withValues);
      reply = { ok: true, ...page };
      transfer.push(page.data.buffer, page.lens.buffer);
    }
  } catch (error) {
    reply = {
      ok: false,
      code: errorCodeOf(error),
      message: messageOf(error),
    };
  }
  return { reply, transfer };
}
