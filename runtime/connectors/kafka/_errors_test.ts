import assert from "node:assert/strict";
import { FsError } from "../../core/mod.ts";
import { isFencedError, kafkaError, kafkaErrorTypes } from "./_errors.ts";

// kafkajs's error classes are not named exports under Deno's CommonJS
// interop, so these errors copy the shape kafkajs gives them (name, type,
// retriable, cause); the real ones are covered by the broker tests.
function kafkaJsError(
  name: string,
  message: string,
  extra: Record<string, unknown> = {},
): Error {
  return Object.assign(new Error(message), { name, ...extra });
}

const options = { action: "connect to Kafka", servers: ["127.0.0.1:1"] };

Deno.test("kafkaError() makes connection failures UNAVAILABLE and names the address", () => {
  const cause = kafkaJsError(
    "KafkaJSConnectionError",
    "Connection error: connect ECONNREFUSED 127.0.0.1:1",
  );
  const error = kafkaError(
    kafkaJsError("KafkaJSNumberOfRetriesExceeded", cause.message, { cause }),
    options,
  );
  assert.equal(error.code, "UNAVAILABLE");
  assert.equal(error.retryable, true);
  assert.ok(
    error.message.startsWith("Cannot connect to Kafka at 127.0.0.1:1: "),
    error.message,
  );
  assert.ok(error.message.includes("ECONNREFUSED"), error.message);
});

Deno.test("kafkaError() makes config-related protocol errors BAD_REQUEST", () => {
  const error = kafkaError(
    kafkaJsError("KafkaJSProtocolError", "Not authorized", {
      type: "TOPIC_AUTHORIZATION_FAILED",
      retriable: false,
    }),
    options,
  );
  assert.equal(error.code, "BAD_REQUEST");
  assert.equal(error.retryable, false);
});

Deno.test("kafkaError() makes other kafkajs errors and socket errors UNAVAILABLE", () => {
  const protocol = kafkaJsError("KafkaJSProtocolError", "loading", {
    type: "COORDINATOR_LOAD_IN_PROGRESS",
    retriable: true,
  });
  assert.equal(kafkaError(protocol, options).code, "UNAVAILABLE");
  const socket = Object.assign(new Error("reset"), { code: "ECONNRESET" });
  assert.equal(kafkaError(socket, options).code, "UNAVAILABLE");
});

Deno.test("kafkaError() keeps FsErrors and makes other errors INTERNAL", () => {
  const own = new FsError("NOT_FOUND", "x");
  assert.equal(kafkaError(own, options), own);
  assert.equal(kafkaError(new TypeError("bug"), options).code, "INTERNAL");
});

Deno.test("isFencedError() finds INVALID_PRODUCER_EPOCH and PRODUCER_FENCED behind retry wrappers", () => {
  const epoch = kafkaJsError("KafkaJSProtocolError", "old epoch", {
    type: "INVALID_PRODUCER_EPOCH",
    retriable: false,
  });
  const wrapped = kafkaJsError("KafkaJSNonRetriableError", epoch.message, {
    cause: epoch,
  });
  assert.equal(isFencedError(wrapped), true);
  const unknown90 = kafkaJsError(
    "KafkaJSProtocolError",
    "Unknown error code 90",
    {
      type: "KAFKAJS_UNKNOWN_ERROR_CODE",
    },
  );
  assert.equal(isFencedError(unknown90), true);
  const unknown91 = kafkaJsError(
    "KafkaJSProtocolError",
    "Unknown error code 91",
    {
      type: "KAFKAJS_UNKNOWN_ERROR_CODE",
    },
  );
  assert.equal(isFencedError(unknown91), false);
  const loading = kafkaJsError("KafkaJSProtocolError", "loading", {
    type: "COORDINATOR_LOAD_IN_PROGRESS",
  });
  assert.equal(isFencedError(loading), false);
  assert.equal(isFencedError(new Error("x")), false);
  assert.equal(isFencedError(null), false);
});

Deno.test("kafkaError() makes a transaction timeout the broker refuses BAD_REQUEST", () => {
  const error = kafkaError(
    kafkaJsError("KafkaJSProtocolError", "timeout too large", {
      type: "INVALID_TRANSACTION_TIMEOUT",
      retriable: false,
    }),
    options,
  );
  assert.equal(error.code, "BAD_REQUEST");
});

Deno.test("kafkaErrorTypes() lists protocol types through wrappers, unknown codes by number", () => {
  const inner = kafkaJsError("KafkaJSProtocolError", "Unknown error code 90", {
    type: "KAFKAJS_UNKNOWN_ERROR_CODE",
  });
  const middle = kafkaJsError("KafkaJSProtocolError", "busy", {
    type: "CONCURRENT_TRANSACTIONS",
    cause: inner,
  });
  const outer = kafkaJsError("KafkaJSNumberOfRetriesExceeded", "busy", {
    cause: middle,
  });
  assert.deepEqual(kafkaErrorTypes(outer), [
    "CONCURRENT_TRANSACTIONS",
    "CODE_90",
  ]);
  assert.deepEqual(kafkaErrorTypes("text"), []);
});
