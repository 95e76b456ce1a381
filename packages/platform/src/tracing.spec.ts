import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config';
import type { IncomingMessage } from './messaging';
import { initTracing, injectTraceContext, runInSpan, SpanKind, startSpan, traceConsumer, traced, traceHeaders, tracingEnabled } from './tracing';

const message: IncomingMessage = {
  topic: 'payment-events',
  key: 'k',
  value: '{}',
  partition: 0,
  offset: '7',
  headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
};

describe('tracing off (the default)', () => {
  it('starts nothing without OTEL_* variables, or when they say off', async () => {
    for (const env of [
      {},
      { OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '200' },
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' },
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' },
    ]) {
      const tracing = initTracing('test', env);
      expect(tracing.enabled, JSON.stringify(env)).toBe(false);
      await tracing.shutdown();
    }
    expect(tracingEnabled()).toBe(false);
    // nothing registered with the API: no provider, no context manager, no propagator
    const tracer = trace.getTracer('probe');
    const probe = tracer.startSpan('probe');
    expect(probe.isRecording()).toBe(false);
    expect(trace.getTracerProvider().getTracer('probe')).toBeDefined();
    context.with(trace.setSpan(ROOT_CONTEXT, probe), () => expect(context.active()).toBe(ROOT_CONTEXT));
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(ROOT_CONTEXT, probe), carrier);
    expect(carrier).toEqual({});
  });

  it('makes every helper a direct call', async () => {
    expect(startSpan({ name: 'x', kind: SpanKind.SERVER })).toBeUndefined();
    expect(traceHeaders()).toEqual({});
    const metadata = new Map<string, string>();
    injectTraceContext(metadata, { set: (m, k, v) => m.set(k, v) });
    expect(metadata.size).toBe(0);
    expect(runInSpan(undefined, () => 42)).toBe(42);
    let seen: unknown = 'not called';
    await expect(traced({ name: 'x', kind: SpanKind.CLIENT }, async (span) => ((seen = span), 'ok'))).resolves.toBe('ok');
    expect(seen).toBeUndefined();
    await expect(traced({ name: 'x', kind: SpanKind.CLIENT }, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const handled: IncomingMessage[] = [];
    await traceConsumer('kafka', 'group', message, async (m) => void handled.push(m));
    expect(handled).toEqual([message]);
  });

  it('refuses exporters and protocols it cannot serve, at start', () => {
    expect(() => initTracing('test', { OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(ConfigError);
    expect(() => initTracing('test', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/http\/protobuf/);
    expect(tracingEnabled()).toBe(false);
  });
});
