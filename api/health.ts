/**
 * The standard gRPC health service (`grpc.health.v1.Health`, Check and
 * Watch), loaded from proto/health.proto. Load balancers, Kubernetes
 * (`grpc` probes) and `grpc_health_probe` ask it whether the server serves.
 *
 * The server answers for "" (the whole server) and for
 * {@link SERVICE_NAME}; both start NOT_SERVING and main.ts sets them to
 * SERVING once the engine has restored the functions that should run.
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { FsError } from "../runtime/core/mod.ts";
import { parseProtoText, SERVICE_NAME } from "./proto.ts";

/** Where the health contract lives, relative to this module. */
export const HEALTH_PROTO_URL: URL = new URL(
  "../proto/health.proto",
  import.meta.url,
);

/** Fully qualified name of the health service. */
export const HEALTH_SERVICE_NAME = "grpc.health.v1.Health";

/** `HealthCheckResponse.ServingStatus` of the contract. */
export const ServingStatus = {
  UNKNOWN: 0,
  SERVING: 1,
  NOT_SERVING: 2,
  SERVICE_UNKNOWN: 3,
} as const;

/** One value of {@link ServingStatus}. */
export type ServingStatus = typeof ServingStatus[keyof typeof ServingStatus];

/** `message HealthCheckRequest`. */
export interface HealthCheckRequest {
  /** Service to ask about; "" is the whole server. */
  service: string;
}

/** `message HealthCheckResponse`. */
export interface HealthCheckResponse {
  /** Its serving status. */
  status: ServingStatus;
}

/** The services a Function Stream server reports on. */
export const HEALTH_SERVICES = ["", SERVICE_NAME];

let cachedDefinition: grpc.ServiceDefinition | undefined;

/** Loads proto/health.proto once (synchronous read) and returns the service definition. */
export function loadHealthProto(): grpc.ServiceDefinition {
  if (cachedDefinition !== undefined) return cachedDefinition;
  const definition = parseProtoText(Deno.readTextFileSync(HEALTH_PROTO_URL));
  const service = definition[HEALTH_SERVICE_NAME] as grpc.ServiceDefinition;
  if (service === undefined) {
    throw new Error(
      `Cannot load the health contract as ${HEALTH_SERVICE_NAME} is missing from ${HEALTH_PROTO_URL}`,
    );
  }
  cachedDefinition = service;
  return service;
}

type Watcher = grpc.ServerWritableStream<
  HealthCheckRequest,
  HealthCheckResponse
>;

/** Serving statuses by service, answered through Check and Watch. */
export class HealthService {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #watchers = new Map<string, Set<Watcher>>();
  #closed = false;

  /** Creates the service knowing `services`, each NOT_SERVING. */
  constructor(services: string[] = HEALTH_SERVICES) {
    for (const service of services) {
      this.#statuses.set(service, ServingStatus.NOT_SERVING);
    }
  }

  /** The status of a service, or undefined when it is not known. */
  status(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  /**
   * Sets a service's status (a new service becomes known) and tells its
   * watchers. Ignored after {@link close}.
   *
   * @throws {FsError} BAD_REQUEST for SERVICE_UNKNOWN, which only Watch reports.
   */
  setStatus(service: string, status: ServingStatus): void {
    if (status === ServingStatus.SERVICE_UNKNOWN) {
      throw new FsError(
        "BAD_REQUEST",
        `Cannot set the health of '${service}' to SERVICE_UNKNOWN: it is only reported to watchers of services never set`,
      );
    }
    if (this.#closed || this.#statuses.get(service) === status) return;
    this.#statuses.set(service, status);
    for (const call of this.#watchers.get(service) ?? []) {
      call.write({ status });
    }
  }

  /** Sets every known service to one status. */
  setAll(status: ServingStatus): void {
    for (const service of [...this.#statuses.keys()]) {
      this.setStatus(service, status);
    }
  }

  /**
   * Server shutdown: every service becomes NOT_SERVING, watchers are told
   * and their calls end (so the server's graceful stop does not wait on
   * them), and later changes are ignored. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.setAll(ServingStatus.NOT_SERVING);
    this.#closed = true;
    for (const calls of this.#watchers.values()) {
      for (const call of calls) call.end();
    }
    this.#watchers.clear();
  }

  /** Adds the Health service to a grpc-js server (before or after it is bound). */
  addTo(server: grpc.Server): void {
    server.addService(loadHealthProto(), this.handlers());
  }

  /** grpc-js handlers of Check and Watch. */
  handlers(): grpc.UntypedServiceImplementation {
    const check: grpc.handleUnaryCall<
      HealthCheckRequest,
      HealthCheckResponse
    > = (call, callback) => {
      const service = call.request?.service ?? "";
      const status = this.#statuses.get(service);
      if (status === undefined) {
        callback({
          code: grpc.status.NOT_FOUND,
          details:
            `Cannot report the health of '${service}' as this server does not know it: ask for "" or ${SERVICE_NAME}`,
        });
        return;
      }
      callback(null, { status });
    };
    const watch: grpc.handleServerStreamingCall<
      HealthCheckRequest,
      HealthCheckResponse
    > = (call) => this.#watch(call);
    return { Check: check, Watch: watch };
  }

  #watch(call: Watcher): void {
    const service = call.request?.service ?? "";
    call.write({
      status: this.#statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN,
    });
    if (this.#closed) {
      call.end();
      return;
    }
    let calls = this.#watchers.get(service);
    if (calls === undefined) {
      calls = new Set();
      this.#watchers.set(service, calls);
    }
    calls.add(call);
    const forget = () => {
      calls.delete(call);
      if (calls.size === 0 && this.#watchers.get(service) === calls) {
        this.#watchers.delete(service);
      }
    };
    call.on("cancelled", forget);
    call.on("close", forget);
    call.on("error", forget);
  }
}
