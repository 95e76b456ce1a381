// OpenTelemetry tracing, explicit and off by default: the gateway's HTTP server span, a client and a
// server span per gRPC call (W3C `traceparent` in the call metadata), the producer context stored in
// outbox rows' headers, and a consumer span per handled bus message whose parent comes from the
// message headers. Nothing is started, patched or registered unless the standard OTEL_* environment
// asks for an exporter; until then every helper here is a boolean check and a direct call.
import {
  context,
  diag,
  DiagLogLevel,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { ConfigError } from './config';
import type { Logger } from './logger';
import type { IncomingMessage } from './messaging';

export { SpanKind, SpanStatusCode };
export type { Attributes as SpanAttributes, Span };

export interface Tracing {
  readonly enabled: boolean;
  /** Ends the export: flushes the spans still queued (bounded), then stops the exporter. */
  shutdown(): Promise<void>;
}

const TRACER = '@pp/platform';
const SHUTDOWN_BOUND_MS = 5_000;
let enabled = false;
let current: Tracing | undefined;

/** True once initTracing has started an exporter in this process. */
export function tracingEnabled(): boolean {
  return enabled;
}

type Env = Record<string, string | undefined>;

function exporters(env: Env): string[] {
  const listed = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
  if (listed.length > 0) return listed.includes('none') ? [] : listed;
  // Off by default: unlike the SDK's own default (otlp), an exporter is used only when configured.
  return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT ? ['otlp'] : [];
}

function otlpUrl(env: Env): string {
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (specific) return specific; // used as is (spec)
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT || 'http://localhost:4318';
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

function processorFor(name: string, env: Env): SpanProcessor {
  switch (name) {
    case 'otlp': {
      const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf';
      const url = otlpUrl(env);
      // Headers, timeout, compression and certificates come from the standard OTEL_EXPORTER_OTLP_* variables.
      if (protocol === 'http/protobuf') return new BatchSpanProcessor(new OtlpProtoExporter({ url }));
      if (protocol === 'http/json') return new BatchSpanProcessor(new OtlpJsonExporter({ url }));
      throw new ConfigError([`OTEL_EXPORTER_OTLP_PROTOCOL: "${protocol}" is not supported here; use http/protobuf (default) or http/json`]);
    }
    case 'console':
      return new SimpleSpanProcessor(new ConsoleSpanExporter());
    default:
      throw new ConfigError([`OTEL_TRACES_EXPORTER: "${name}" is not supported; use otlp, console or none`]);
  }
}

/**
 * Starts tracing for this process when the environment asks for it: `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), or `OTEL_TRACES_EXPORTER=otlp|console`. Otherwise (and
 * with `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`) nothing is started and every span
 * helper below does nothing. Call once, first thing in a composition root. `env` decides on/off, the
 * exporter, its protocol and URL; the SDK reads the other OTEL_* variables (service name, resource
 * attributes, OTLP headers and timeout, sampler, OTEL_BSP_*) from process.env itself.
 */
export function initTracing(serviceName: string, env: Env = process.env, logger?: Logger): Tracing {
  if (current) return current;
  const names = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' ? [] : exporters(env);
  if (names.length === 0) return { enabled: false, shutdown: async () => undefined };
  const spanProcessors = names.map((n) => processorFor(n, env));
  if (logger) {
    const log = logger.child({ component: 'opentelemetry' });
    diag.setLogger(
      {
        error: (m, ...a) => log.error({ args: a }, m),
        warn: (m, ...a) => log.warn({ args: a }, m),
        info: () => undefined,
        debug: () => undefined,
        verbose: () => undefined,
      },
      DiagLogLevel.WARN,
    );
  }
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the name given here.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }))
    .merge(detectResources({ detectors: [envDetector] }));
  // The sampler comes from OTEL_TRACES_SAMPLER / _ARG (default parentbased_always_on), batching from OTEL_BSP_*.
  const provider = new NodeTracerProvider({ resource, spanProcessors });
  // AsyncLocalStorage context manager; W3C trace context only (no baggage crosses our boundaries).
  provider.register({ propagator: new W3CTraceContextPropagator() });
  enabled = true;
  const handle: Tracing = {
    enabled: true,
    shutdown: async () => {
      enabled = false;
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_BOUND_MS);
        timer.unref();
      });
      await Promise.race([provider.shutdown().catch((error: unknown) => logger?.warn({ err: error }, 'flushing traces failed')), bound]);
      clearTimeout(timer);
    },
  };
  current = handle;
  return handle;
}

/** A remote parent: a carrier holding `traceparent` / `tracestate` and how to read it. */
export interface RemoteParent<C> {
  readonly carrier: C;
  readonly getter?: TextMapGetter<C>;
}

export interface SpanSpec<C = Record<string, string | undefined>> {
  readonly name: string;
  readonly kind: SpanKind;
  readonly attributes?: Attributes;
  /** Entry points (server, consumer) take their parent from the carrier only, never from the ambient context. */
  readonly remoteParent?: RemoteParent<C>;
}

function parentOf<C>(spec: SpanSpec<C>): Context {
  if (!spec.remoteParent) return context.active();
  const { carrier, getter } = spec.remoteParent;
  return getter ? propagation.extract(ROOT_CONTEXT, carrier, getter) : propagation.extract(ROOT_CONTEXT, carrier);
}

/** Starts a span; undefined while tracing is off. End it with endSpan. */
export function startSpan<C>(spec: SpanSpec<C>): Span | undefined {
  if (!enabled) return undefined;
  return trace.getTracer(TRACER).startSpan(spec.name, { kind: spec.kind, attributes: spec.attributes }, parentOf(spec));
}

/** Runs `fn` with `span` as the active span (so calls made inside are its children). */
export function runInSpan<T>(span: Span | undefined, fn: () => T): T {
  if (!span) return fn();
  return context.with(trace.setSpan(context.active(), span), fn);
}

/** Ends a span; with `error`, records it and, if `fault` (default true), marks the span as failed. */
export function endSpan(span: Span | undefined, outcome: { error?: unknown; fault?: boolean; attributes?: Attributes } = {}): void {
  if (!span) return;
  if (outcome.attributes) span.setAttributes(outcome.attributes);
  if (outcome.error !== undefined && outcome.fault !== false) {
    const error = outcome.error;
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}

/**
 * Runs `fn` inside a new span that ends when its promise settles. A rejection marks the span failed
 * unless `isFault` says the error is an expected outcome (a business error answered to the caller).
 */
export function traced<T, C = Record<string, string | undefined>>(
  spec: SpanSpec<C>,
  fn: (span: Span | undefined) => Promise<T>,
  isFault?: (error: unknown) => boolean,
): Promise<T> {
  const span = startSpan(spec);
  if (!span) return fn(undefined);
  const run = async () => fn(span);
  return runInSpan(span, run).then(
    (result) => {
      endSpan(span);
      return result;
    },
    (error: unknown) => {
      endSpan(span, { error, fault: isFault ? isFault(error) : true });
      throw error;
    },
  );
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

/** The active trace context as `traceparent` (and `tracestate`) headers; empty while tracing is off or outside a span. */
export function traceHeaders(): Readonly<Record<string, string>> {
  if (!enabled) return EMPTY;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** Writes the active trace context into any carrier (gRPC metadata, say). */
export function injectTraceContext<C>(carrier: C, setter: TextMapSetter<C>): void {
  if (enabled) propagation.inject(context.active(), carrier, setter);
}

/**
 * Handles one bus message inside its consumer span: a child of the producer's context stored in the
 * message headers (`traceparent`, written with the outbox row), or a new trace when there is none.
 */
export function traceConsumer(system: string, groupId: string, message: IncomingMessage, handle: (message: IncomingMessage) => Promise<void>): Promise<void> {
  if (!enabled) return handle(message);
  // messaging.* are incubating semantic conventions: spelled out rather than imported from /incubating.
  const attributes: Attributes = {
    'messaging.system': system,
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.destination.name': message.topic,
    'messaging.destination.partition.id': String(message.partition),
    'messaging.consumer.group.name': groupId,
    'messaging.kafka.offset': Number(message.offset),
  };
  if (message.headers['event-id']) attributes['messaging.message.id'] = message.headers['event-id'];
  if (message.headers['x-request-id']) attributes['pp.request_id'] = message.headers['x-request-id'];
  return traced({ name: `process ${message.topic}`, kind: SpanKind.CONSUMER, attributes, remoteParent: { carrier: message.headers } }, () => handle(message));
}
