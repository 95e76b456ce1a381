// SPEC §4.2 for every POST that takes an Idempotency-Key: validates the header, runs the handler once
// per key, stores its final answer (domain errors included, validation errors excluded) and replays it.
import { DomainError, validationError } from '@pp/domain';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { withIdempotency, type RunResult } from '../app/idempotency';
import { partnerOf, type GatewayContext } from './context';
import { bodyForDomainError, httpStatusFor } from './errors';

export function idempotencyKeyOf(req: FastifyRequest): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw.join(',') : raw;
  if (key.length < 1 || key.length > 255) throw validationError([{ field: 'Idempotency-Key', message: 'Idempotency-Key: must be 1 to 255 characters' }]);
  return key;
}

/** `run` answers with a status and a JSON body; a DomainError it throws becomes a stored answer too. */
export async function idempotent(
  ctx: GatewayContext,
  req: FastifyRequest,
  reply: FastifyReply,
  path: string,
  run: () => Promise<{ status: number; body: unknown; replayed?: boolean }>,
): Promise<FastifyReply> {
  const key = idempotencyKeyOf(req);
  const once = async (): Promise<RunResult> => {
    try {
      const out = await run();
      return { status: out.status, body: JSON.stringify(out.body), replayed: out.replayed };
    } catch (error) {
      // Validation answers are not stored: the client fixes the request and retries with the same key.
      if (!(error instanceof DomainError) || error.type === 'ValidationError') throw error;
      // Nor are 5xx (a backing service down, a crash): the error handler logs their errorId (SPEC §1).
      // Nor a conflict the ledger found with its own copy of the key: it is not this key's answer.
      if (httpStatusFor(error.type) >= 500 || error.type === 'IdempotencyConflict') throw error;
      const mapped = bodyForDomainError(error);
      return { status: mapped.status, body: JSON.stringify(mapped.body) };
    }
  };
  const result = key
    ? await withIdempotency(ctx.db, { partnerId: partnerOf(req).id, key, method: req.method, path, body: req.body }, once)
    : { replayed: false, ...(await once()) };
  if (result.replayed) void reply.header('Idempotency-Replayed', 'true');
  return reply.code(result.status).header('content-type', 'application/json; charset=utf-8').send(result.body);
}
