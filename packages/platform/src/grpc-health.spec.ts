// The grpc.health.v1 status follows the readiness check (the database), and goes NOT_SERVING on drain.
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startGrpcServer } from './grpc';

const json = { serialize: (v: unknown) => Buffer.from(JSON.stringify(v)), deserialize: (b: Buffer) => JSON.parse(b.toString()) as unknown };
const Echo = {
  Echo: {
    path: '/test.v1.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
} satisfies grpc.ServiceDefinition;

const Client = grpc.makeGenericClientConstructor(healthService as grpc.ServiceDefinition, 'Health');

function check(port: number, service = ''): Promise<string> {
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as {
    check(req: { service: string }, cb: (e: Error | null, r: { status: string | number }) => void): void;
    close(): void;
  };
  return new Promise((resolve, reject) =>
    client.check({ service }, (error, response) => {
      client.close();
      if (error) reject(error);
      else resolve(String(response.status));
    }),
  );
}

describe('gRPC health', () => {
  it('reports NOT_SERVING while the readiness check fails and SERVING once it passes again', async () => {
    let ready = true;
    const server = await startGrpcServer({
      name: 'test.v1.Echo',
      service: Echo,
      handlers: { Echo: async (r: unknown) => r } as never,
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: 'silent' }),
      readiness: async () => ready,
      readinessEveryMs: 20,
    });
    try {
      expect(await check(server.port)).toMatch(/SERVING|^1$/);
      ready = false;
      await expect.poll(() => check(server.port), { timeout: 2000, interval: 20 }).toMatch(/NOT_SERVING|^2$/);
      ready = true;
      await expect.poll(() => check(server.port), { timeout: 2000, interval: 20 }).toMatch(/^(SERVING|1)$/);
    } finally {
      await server.shutdown(100);
    }
  });

  it('binds before the dependencies are there: NOT_SERVING and UNAVAILABLE calls until markReady, liveness SERVING throughout', async () => {
    let checks = 0;
    const readiness = async () => {
      checks += 1;
      return true;
    };
    const server = await startGrpcServer({
      name: 'test.v1.Echo',
      service: Echo,
      handlers: { Echo: async (r: unknown) => r } as never,
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: 'silent' }),
      readiness,
      readinessEveryMs: 20,
      holdUntilReady: true,
    });
    const client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    const echo = () =>
      new Promise<unknown>((resolve, reject) =>
        client.makeUnaryRequest(Echo.Echo.path, Echo.Echo.requestSerialize, Echo.Echo.responseDeserialize, { hi: 1 }, (error, response) =>
          error ? reject(error) : resolve(response),
        ),
      );
    try {
      expect(await check(server.port)).toMatch(/NOT_SERVING|^2$/);
      expect(await check(server.port, 'liveness')).toMatch(/^(SERVING|1)$/);
      // the readiness check passes, but the service has not said it is ready: still NOT_SERVING
      await expect.poll(() => checks, { timeout: 2000, interval: 10 }).toBeGreaterThanOrEqual(2);
      expect(await check(server.port, 'test.v1.Echo')).toMatch(/NOT_SERVING|^2$/);
      const refused = await echo().then(
        () => undefined,
        (error: grpc.ServiceError) => error,
      );
      expect(refused?.code).toBe(grpc.status.UNAVAILABLE);
      expect(String(refused?.metadata.get('x-error-type')[0])).toBe('ServiceUnavailable');
      server.markReady();
      expect(await check(server.port)).toMatch(/^(SERVING|1)$/);
      expect(await echo()).toEqual({ hi: 1 });
    } finally {
      client.close();
      await server.shutdown(100);
    }
  });
});
