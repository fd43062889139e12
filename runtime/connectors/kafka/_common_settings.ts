/**
 * Value parsers and the client settings that inputs and outputs share
 * (connection, retries, security), for kafka_settings.ts.
 * @module
 */
import type { KafkaConfig } from "kafkajs";
import { FsError } from "../../core/mod.ts";

const MAX_INT = 2_147_483_647;

/** A BAD_REQUEST naming the setting and its value. */
export function bad(name: string, problem: string, value: string): FsError {
  return new FsError(
    "BAD_REQUEST",
    `Cannot apply Kafka setting '${name}' as ${problem}: current value is ${
      JSON.stringify(value)
    }`,
  );
}

/** Parses an integer setting within [min, max]. */
export function int(
  name: string,
  value: string,
  min: number,
  max = MAX_INT,
): number {
  const parsed = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw bad(name, `it must be an integer from ${min} to ${max}`, value);
  }
  return parsed;
}

/** Parses a setting that takes one of a few words (case-insensitive). */
export function oneOf<T extends string>(
  name: string,
  value: string,
  allowed: readonly T[],
): T {
  const found = allowed.find((a) =>
    a.toLowerCase() === value.trim().toLowerCase()
  );
  if (found === undefined) {
    throw bad(name, `it must be one of ${allowed.join(", ")}`, value);
  }
  return found;
}

/** Parses a true/false setting. */
export function bool(name: string, value: string): boolean {
  return oneOf(name, value, ["true", "false"]) === "true";
}

/** Settings common to consumers and producers, applied to a KafkaConfig. */
export interface CommonState {
  kafka: KafkaConfig;
  retry: { retries: number; initialRetryTime: number; maxRetryTime: number };
  metadataMaxAge?: number;
  allowAutoTopicCreation?: boolean;
  securityProtocol?: string;
  saslMechanism?: string;
  saslUser?: string;
  saslPassword?: string;
}

/** Applies one setting value to the state being resolved. */
export type Setter<S> = (state: S, value: string, name: string) => void;

/** Settings accepted on inputs and outputs. */
export const COMMON: Record<string, Setter<CommonState>> = {
  "client.id": (s, v, n) => {
    if (v.trim() === "") throw bad(n, "it must not be empty", v);
    s.kafka.clientId = v.trim();
  },
  "request.timeout.ms": (s, v, n) => s.kafka.requestTimeout = int(n, v, 1),
  "socket.connection.setup.timeout.ms": (s, v, n) =>
    s.kafka.connectionTimeout = int(n, v, 1),
  "retries": (s, v, n) => s.retry.retries = int(n, v, 0, 100),
  "retry.backoff.ms": (s, v, n) => s.retry.initialRetryTime = int(n, v, 1),
  "retry.backoff.max.ms": (s, v, n) => s.retry.maxRetryTime = int(n, v, 1),
  "metadata.max.age.ms": (s, v, n) => s.metadataMaxAge = int(n, v, 1),
  "allow.auto.create.topics": (s, v, n) =>
    s.allowAutoTopicCreation = bool(n, v),
  "security.protocol": (s, v, n) =>
    s.securityProtocol = oneOf(n, v, [
      "PLAINTEXT",
      "SSL",
      "SASL_PLAINTEXT",
      "SASL_SSL",
    ]),
  "sasl.mechanism": (s, v, n) =>
    s.saslMechanism = oneOf(n, v, ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]),
  "sasl.username": (s, v) => s.saslUser = v,
  "sasl.password": (s, v) => s.saslPassword = v,
  "sasl.jaas.config": (s, v, n) => {
    const user = /username\s*=\s*"([^"]*)"/.exec(v)?.[1];
    const password = /password\s*=\s*"([^"]*)"/.exec(v)?.[1];
    if (user === undefined || password === undefined) {
      // Never echo a JAAS config back: it holds a password.
      throw bad(n, 'it must contain username="..." and password="..."', "***");
    }
    s.saslUser = user;
    s.saslPassword = password;
  },
};

/** Turns the security settings into kafkajs `ssl`/`sasl` options. */
export function finishSecurity(s: CommonState): void {
  const protocol = s.securityProtocol ?? "PLAINTEXT";
  s.kafka.ssl = protocol === "SSL" || protocol === "SASL_SSL";
  if (!protocol.startsWith("SASL_")) {
    if (s.saslMechanism !== undefined || s.saslUser !== undefined) {
      throw bad(
        "security.protocol",
        "SASL settings need SASL_PLAINTEXT or SASL_SSL",
        protocol,
      );
    }
    return;
  }
  if (s.saslUser === undefined || s.saslPassword === undefined) {
    throw bad(
      "sasl.username",
      `${protocol} needs sasl.username and sasl.password (or sasl.jaas.config)`,
      s.saslUser ?? "",
    );
  }
  const mechanism = (s.saslMechanism ?? "PLAIN").toLowerCase();
  s.kafka.sasl = {
    mechanism: mechanism as "plain",
    username: s.saslUser,
    password: s.saslPassword,
  };
}
