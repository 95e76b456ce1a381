// gRPC servers and clients derived from the proto service definitions: promise handlers in, promise
// clients out, deadlines on every call, business errors carried in metadata, grpc.health.v1 on every server.
import * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import type { Span } from '@opentelemetry/api';
import { HealthImplementation } from 'grpc-health-check';
import { randomUUID } from 'node:crypto';
import { DomainError, isErrorType, type ErrorType, type FieldProblem, assertNever } from '@pp/domain';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { callInProcess, inProcessTarget, registerInProcess, type LocalDispatch } from './grpc-in-process';
import { injectTraceContext, SpanKind, traced, type SpanAttributes } from './tracing';

export interface CallContext {
  readonly requestId: string;
  readonly deadlineMs?: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- variance positions of the proto-loader generics */
type KnownKeys<D> = keyof { [K in keyof D as string extends K ? never : number extends K ? never : K]: D[K] };
export type PromiseClient<D> = {
  [K in KnownKeys<D>]: D[K] extends MethodDefinition<infer Req, any, any, infer ResOut> ? (req: Req, ctx?: CallContext) => Promise<ResOut> : never;
};
export type PromiseHandlers<D> = {
  [K in KnownKeys<D>]: D[K] extends MethodDefinition<any, infer Res, infer ReqOut, any> ? (req: ReqOut, ctx: CallContext) => Promise<Res> : never;
};
/* eslint-enable @typescript-eslint/no-explicit-any */

const DEFAULT_DEADLINE_MS = 10_000;

function grpcStatusFor(type: ErrorType): grpc.status {
  switch (type) {
    case 'ValidationError':
    case 'CloseCodeNotAllowed':
      return grpc.status.INVALID_ARGUMENT;
    case 'Unauthorized':
      return grpc.status.UNAUTHENTICATED;
    case 'Forbidden':
      return grpc.status.PERMISSION_DENIED;
    case 'NotFound':
    case 'PartnerNotFound':
    case 'CaseNotFound':
    case 'PaymentNotFound':
    case 'TaskNotFound':
    case 'WebhookNotFound':
    case 'EventNotFound':
    case 'InvoiceNotFound':
      return grpc.status.NOT_FOUND;
    case 'CaseClosed':
    case 'CaseAlreadyClosed':
    case 'PaymentInvoiced':
    case 'ReopenConsentRequired':
    case 'IdempotencyConflict':
    case 'EventDataMissing':
      return grpc.status.FAILED_PRECONDITION;
    case 'IdempotencyKeyInUse':
      return grpc.status.ABORTED;
    case 'RateLimited':
      return grpc.status.RESOURCE_EXHAUSTED;
    case 'ServiceUnavailable':
      return grpc.status.UNAVAILABLE;
    case 'InternalError':
      return grpc.status.INTERNAL;
    default:
      return assertNever(type);
  }
}

function toServiceError(error: unknown, logger: Logger, method: string, requestId: string): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (error instanceof DomainError) {
    metadata.set('x-error-type', error.type);
    if (error.field) metadata.set('x-error-field', error.field);
    if (error.problems.length > 0) metadata.set('x-error-problems', JSON.stringify(error.problems));
    return { code: grpcStatusFor(error.type), details: error.message, metadata };
  }
  const errorId = randomUUID();
  logger.error({ err: error, errorId, method, requestId }, 'unhandled error in gRPC handler');
  metadata.set('x-error-type', 'InternalError');
  metadata.set('x-error-id', errorId);
  return { code: grpc.status.INTERNAL, details: `Internal error ${errorId}`, metadata };
}

// W3C trace context (`traceparent`, `tracestate`) travels in the call metadata next to x-request-id.
const metadataSetter = { set: (metadata: grpc.Metadata, key: string, value: string) => metadata.set(key, value) };
const metadataGetter = {
  keys: (metadata: grpc.Metadata) => Object.keys(metadata.getMap()),
  get: (metadata: grpc.Metadata, key: string) => {
    const values = metadata.get(key);
    return values.length === 0 ? undefined : values.map(String);
  },
};

const rpcAttributes = (path: string): SpanAttributes => ({ 'rpc.system.name': 'grpc', 'rpc.method': path.replace(/^\//, '') });

/** Server faults; the other codes are answers (a NotFound, a validation error), not failures of the server. */
const SERVER_FAULTS = new Set<grpc.status>([
  grpc.status.UNKNOWN,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.UNIMPLEMENTED,
  grpc.status.INTERNAL,
  grpc.status.UNAVAILABLE,
  grpc.status.DATA_LOSS,
]);
const statusOf = (error: unknown): grpc.status => (error instanceof DomainError ? grpcStatusFor(error.type) : grpc.status.INTERNAL);

export interface GrpcServerOptions<D extends grpc.ServiceDefinition> {
  readonly name: string;
  readonly service: D;
  readonly handlers: PromiseHandlers<D>;
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /**
   * What the grpc.health.v1 status reflects (checked every `readinessEveryMs`): the dependencies the
   * service cannot answer without. Kafka is not one of them: writes go to the outbox while it is away.
   */
  readonly readiness?: () => Promise<boolean>;
  readonly readinessEveryMs?: number;
  /**
   * Bind at once but serve only after `markReady()`: until then every call answers UNAVAILABLE
   * (ServiceUnavailable) and the health status is NOT_SERVING, while the service waits for its
   * dependencies. The health service `liveness` is SERVING as long as the process runs (for liveness
   * and startup probes, which must not restart a process that is only waiting).
   */
  readonly holdUntilReady?: boolean;
}

export interface RunningGrpcServer {
  readonly port: number;
  readonly health: HealthImplementation;
  /** With `holdUntilReady`: the service has its dependencies; serve calls and follow `readiness` from now on. */
  markReady(): void;
  shutdown(graceMs?: number): Promise<void>;
}

export async function startGrpcServer<D extends grpc.ServiceDefinition>(options: GrpcServerOptions<D>): Promise<RunningGrpcServer> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  const implementation: grpc.UntypedServiceImplementation = {};
  const dispatchers: Record<string, LocalDispatch> = {};
  for (const name of Object.keys(options.service)) {
    const handler = (options.handlers as Record<string, (req: unknown, ctx: CallContext) => Promise<unknown>>)[name];
    if (!handler) throw new Error(`${options.name}: no handler for ${name}`);
    const path = (options.service[name] as { path: string }).path;
    const span = { name: path.replace(/^\//, ''), kind: SpanKind.SERVER, attributes: rpcAttributes(path) };
    // One call, however it arrived: over gRPC, or in-process from a client in the same process
    // (./grpc-in-process.ts). Resolves with the response; rejects with the status the caller gets.
    dispatchers[name] = (request: unknown, requestId: string, parent?: grpc.Metadata) => {
      if (!accepting) {
        options.metrics?.grpcRequests.inc({ service: options.name, method: name, code: 'ServiceUnavailable' });
        return Promise.reject(
          toServiceError(new DomainError('ServiceUnavailable', `${options.name} is starting: waiting for its dependencies`), options.logger, name, ''),
        );
      }
      const started = process.hrtime.bigint();
      const observe = (code: string) => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        options.metrics?.grpcRequests.inc({ service: options.name, method: name, code });
        options.metrics?.grpcDuration.observe({ service: options.name, method: name }, seconds);
        options.logger.info({ requestId, method: name, code, ms: Math.round(seconds * 1000) }, 'grpc call');
      };
      // The parent is the caller's span from the metadata (in-process: the active span); the handler runs with this span active.
      return traced(
        { ...span, ...(parent ? { remoteParent: { carrier: parent, getter: metadataGetter } } : {}) },
        (s) =>
          s === undefined
            ? handler(request, { requestId })
            : handler(request, { requestId }).then(
                (response) => {
                  s.setAttributes({ 'rpc.status_code': 'OK', 'pp.request_id': requestId });
                  return response;
                },
                (error: unknown) => {
                  s.setAttributes({ 'rpc.status_code': grpc.status[statusOf(error)], 'pp.request_id': requestId });
                  if (error instanceof DomainError) s.setAttribute('error.type', error.type);
                  throw error;
                },
              ),
        (error) => SERVER_FAULTS.has(statusOf(error)),
      ).then(
        (response) => {
          observe('OK');
          return response;
        },
        (error: unknown) => {
          observe(error instanceof DomainError ? error.type : 'InternalError');
          throw toServiceError(error, options.logger, name, requestId);
        },
      );
    };
    implementation[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const requestId = String(call.metadata.get('x-request-id')[0] ?? randomUUID());
      dispatchers[name]!(call.request, requestId, call.metadata).then(
        (response) => callback(null, response),
        (status: Partial<grpc.StatusObject>) => callback(status),
      );
    };
  }
  server.addService(options.service, implementation);
  let accepting = !options.holdUntilReady;
  const initial = accepting ? 'SERVING' : 'NOT_SERVING';
  const health = new HealthImplementation({ '': initial, [options.name]: initial, liveness: 'SERVING' });
  health.addToServer(server);
  let draining = false;
  const setStatus = (status: 'SERVING' | 'NOT_SERVING') => {
    health.setStatus('', status);
    health.setStatus(options.name, status);
  };
  const readiness = options.readiness;
  const check = () => {
    if (!readiness) return;
    void readiness()
      .catch(() => false)
      .then((ready) => {
        if (draining || !accepting) return;
        setStatus(ready ? 'SERVING' : 'NOT_SERVING');
      });
  };
  const watch = readiness ? setInterval(check, options.readinessEveryMs ?? 5_000) : undefined;
  watch?.unref();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const local = registerInProcess(`${options.host}:${port}`, dispatchers);
  return {
    port,
    health,
    markReady: () => {
      if (accepting || draining) return;
      accepting = true;
      setStatus('SERVING');
      check();
    },
    shutdown: async (graceMs = 10_000) => {
      draining = true;
      local.unregister();
      if (watch) clearInterval(watch);
      setStatus('NOT_SERVING');
      // Stop accepting, let in-flight calls finish, then force.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

export function fromServiceError(error: grpc.ServiceError): DomainError {
  const type = String(error.metadata?.get('x-error-type')[0] ?? '');
  const field = error.metadata?.get('x-error-field')[0];
  const problemsText = error.metadata?.get('x-error-problems')[0];
  const problems = problemsText ? (JSON.parse(String(problemsText)) as FieldProblem[]) : [];
  if (isErrorType(type) && type !== 'InternalError') return new DomainError(type, error.details, field === undefined ? undefined : String(field), problems);
  if (error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED || error.code === grpc.status.CANCELLED) {
    return new DomainError('ServiceUnavailable', 'A backing service is unavailable; retry the request');
  }
  return new DomainError('InternalError', error.details || 'Internal error');
}

export type GrpcClient<D> = PromiseClient<D> & { close(): void; waitReady(timeoutMs: number): Promise<void> };

export interface GrpcClientOptions {
  /** deadline of a call unless its context gives one */
  readonly deadlineMs?: number;
  /**
   * Call a server bound at `address` in this same process directly (the embedded default), through
   * the same dispatcher and codec as gRPC (./grpc-in-process.ts); other addresses go over gRPC.
   */
  readonly inProcess?: boolean;
}

export function createGrpcClient<D extends grpc.ServiceDefinition>(service: D, address: string, options: GrpcClientOptions = {}): GrpcClient<D> {
  const defaultDeadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  const out: Record<string, unknown> = {};
  const colon = address.lastIndexOf(':');
  const server = colon > 0 ? { 'server.address': address.slice(0, colon), 'server.port': Number(address.slice(colon + 1)) } : { 'server.address': address };
  for (const [name, def] of Object.entries(service)) {
    const spec = { name: def.path.replace(/^\//, ''), kind: SpanKind.CLIENT, attributes: { ...rpcAttributes(def.path), ...server } };
    const overGrpc = (req: unknown, ctx: CallContext | undefined, span: Span | undefined) =>
      new Promise((resolve, reject) => {
        const metadata = new grpc.Metadata();
        if (ctx?.requestId) metadata.set('x-request-id', ctx.requestId);
        if (span) injectTraceContext(metadata, metadataSetter);
        const deadline = new Date(Date.now() + (ctx?.deadlineMs ?? defaultDeadlineMs));
        client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, metadata, { deadline }, (error, response) => {
          span?.setAttribute('rpc.status_code', grpc.status[error ? error.code : grpc.status.OK]);
          if (error) reject(fromServiceError(error));
          else resolve(response);
        });
      });
    const local = (req: unknown, ctx: CallContext | undefined) => {
      const dispatch = options.inProcess ? inProcessTarget(address, name) : undefined;
      if (!dispatch) return undefined;
      return callInProcess(dispatch, def, req, ctx?.requestId ?? randomUUID(), ctx?.deadlineMs ?? defaultDeadlineMs, () => new grpc.Metadata()).catch(
        (status: unknown) => {
          const known = typeof status === 'object' && status !== null && 'code' in status && 'metadata' in status;
          throw fromServiceError(
            (known
              ? status
              : {
                  code: grpc.status.INTERNAL,
                  details: status instanceof Error ? status.message : String(status),
                  metadata: new grpc.Metadata(),
                }) as grpc.ServiceError,
          );
        },
      );
    };
    out[name] = (req: unknown, ctx?: CallContext) => traced(spec, (span) => local(req, ctx) ?? overGrpc(req, ctx, span));
  }
  out.close = () => client.close();
  out.waitReady = (timeoutMs: number) =>
    new Promise<void>((resolve, reject) => client.waitForReady(new Date(Date.now() + timeoutMs), (error) => (error ? reject(error) : resolve())));
  return out as GrpcClient<D>;
}
