// While the gateway waits for its database at start (its schema not migrated yet), it already listens:
// /healthz answers 200 and /readyz 503, and every other non-public route answers 503 ServiceUnavailable
// with a Retry-After, before authentication (which needs the database) runs.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from './context';
import { errorBody } from './errors';

export function startupGate(ctx: GatewayContext) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (ctx.startup?.ready !== false || req.routeOptions.config.auth === 'public') return;
    const message = 'The gateway is starting (waiting for its database); retry shortly';
    return reply
      .code(503)
      .header('Retry-After', '5')
      .send(errorBody('ServiceUnavailable', [{ message }], message));
  };
}
