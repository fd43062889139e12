/**
 * Turns kafkajs errors into FsErrors: an unreachable or failing cluster is
 * UNAVAILABLE (retry later), a setting or request the cluster rejects for
 * good is BAD_REQUEST, anything that is not a kafkajs error is INTERNAL.
 * @module
 */
import { FsError, messageOf } from "../../core/mod.ts";

/**
 * Protocol errors that retrying cannot fix because the config is wrong
 * (names as kafkajs reports them in `error.type`).
 */
const CONFIG_ERROR_TYPES = new Set([
  "INCONSISTENT_GROUP_PROTOCOL",
  "INVALID_GROUP_ID",
  "INVALID_TOPIC_EXCEPTION",
  "INVALID_PARTITIONS",
  "INVALID_REQUIRED_ACKS",
  "INVALID_SESSION_TIMEOUT",
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "TOPIC_AUTHORIZATION_FAILED",
  "GROUP_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  "INVALID_TRANSACTION_TIMEOUT",
  "SASL_AUTHENTICATION_FAILED",
  "UNSUPPORTED_SASL_MECHANISM",
  "ILLEGAL_SASL_STATE",
]);

interface KafkaJsErrorShape {
  name?: string;
  type?: string;
  retriable?: boolean;
  cause?: unknown;
  originalError?: unknown;
}

/** Follows `cause`/`originalError` links to the error kafkajs started from. */
function rootCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 10; depth++) {
    const shape = current as KafkaJsErrorShape | null;
    const next = shape?.cause ?? shape?.originalError;
    if (next === undefined || next === null || next === current) break;
    current = next;
  }
  return current;
}

/**
 * Protocol error types of the error and of those it wraps (kafkajs wraps a
 * protocol error in retry errors), outermost first. A code kafkajs does not
 * know appears as "CODE_<n>".
 */
export function kafkaErrorTypes(error: unknown): string[] {
  const types: string[] = [];
  let current = error;
  for (let depth = 0; depth < 10; depth++) {
    const shape = current as (KafkaJsErrorShape & { message?: string }) | null;
    if (shape === null || typeof shape !== "object") break;
    const unknown = shape.type === "KAFKAJS_UNKNOWN_ERROR_CODE"
      ? /\bcode (\d+)$/.exec(shape.message ?? "")
      : null;
    if (unknown !== null) types.push(`CODE_${unknown[1]}`);
    else if (typeof shape.type === "string") types.push(shape.type);
    const next = shape.cause ?? shape.originalError;
    if (next === undefined || next === null || next === current) break;
    current = next;
  }
  return types;
}

/**
 * Returns whether the error (or one it wraps) says a transactional producer
 * was fenced: a newer producer with the same transactional id initialized,
 * or the broker expired its transaction. kafkajs speaks protocol versions
 * that report this as INVALID_PRODUCER_EPOCH; newer versions say
 * PRODUCER_FENCED (code 90), which kafkajs does not know by name.
 */
export function isFencedError(error: unknown): boolean {
  return kafkaErrorTypes(error).some((t) =>
    t === "INVALID_PRODUCER_EPOCH" || t === "PRODUCER_FENCED" ||
    t === "CODE_90"
  );
}

function isKafkaJsError(error: unknown): boolean {
  const name = (error as KafkaJsErrorShape | null)?.name ?? "";
  return name.startsWith("KafkaJS");
}

/** Options for {@link kafkaError}. */
export interface KafkaErrorOptions {
  /** What was being done, as in "Cannot <action> at <servers>". */
  action: string;
  /** Bootstrap servers, named in the message. */
  servers: string[];
}

/** Classifies any error thrown by kafkajs as an {@link FsError}. */
export function kafkaError(
  error: unknown,
  options: KafkaErrorOptions,
): FsError {
  if (error instanceof FsError) return error;
  const root = rootCause(error);
  const detail = messageOf(root) === messageOf(error)
    ? messageOf(error)
    : `${messageOf(error)}: ${messageOf(root)}`;
  const message = `Cannot ${options.action} at ${
    options.servers.join(",")
  }: ${detail}`;
  const type = (root as KafkaJsErrorShape | null)?.type ??
    (error as KafkaJsErrorShape | null)?.type;
  if (type !== undefined && CONFIG_ERROR_TYPES.has(type)) {
    return new FsError("BAD_REQUEST", message, { cause: error });
  }
  if (isKafkaJsError(error) || isKafkaJsError(root)) {
    return new FsError("UNAVAILABLE", message, { cause: error });
  }
  // Socket errors raised by Node's net/tls modules before kafkajs wraps them.
  const code = (root as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
    return new FsError("UNAVAILABLE", message, { cause: error });
  }
  return new FsError("INTERNAL", message, { cause: error });
}
