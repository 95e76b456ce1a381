// While the gateway waits for its database at start (its schema not migrated yet), it already listens:
// /healthz answers 200 and /readyz 503, and every other non-public route answers 503 ServiceUnavailable
// with a Retry-After, before authentication (which needs the database) runs.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from './context';
import { errorBody, noteErrorId } from './errors';

export function startupGate(ctx: GatewayContext) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (ctx.startup?.ready !== false || req.routeOptions.config.auth === 'public') return;
    const message = 'The gateway is starting (waiting for its database); retry shortly';
    return (
      reply
        .code(503)
        .header('Retry-After', '5')
        // a 5xx carries an errorId (SPEC §1), here in the request's log line (server.ts)
        .send({ ...errorBody('ServiceUnavailable', [{ message }], message), errorId: noteErrorId(req, randomUUID()) })
    );
  };
}
