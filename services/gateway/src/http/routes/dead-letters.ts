// Operator API for dead letters: messages a consumer's handler kept failing on, parked by the
// platform's dead-letter guard in the consuming service's own schema. The gateway asks each such
// service over gRPC (ListDeadLetters, RetryDeadLetter); every service keeps ownership of its table.
import { DomainError } from '@pp/domain';
import type { deadLettersV1 } from '@pp/proto';
import type { FastifyInstance } from 'fastify';
import * as api from '../api';
import { UUID } from '../body';
import { callCtx, type GatewayContext } from '../context';

type Service = (typeof api.DEAD_LETTER_SERVICES)[number];

function deadLetterJson(service: Service, d: deadLettersV1.DeadLetter__Output) {
  return {
    id: d.id,
    service,
    groupId: d.groupId,
    topic: d.topic,
    partition: d.partition,
    offset: d.offset,
    key: d.key,
    value: d.value,
    headers: d.headers,
    error: d.error,
    attempts: d.attempts,
    firstFailedAt: d.firstFailedAt,
    lastFailedAt: d.lastFailedAt,
    status: d.status,
    resolvedAt: d.resolvedAt || null,
  };
}

const notFound = (id: string) => new DomainError('NotFound', `No dead letter ${id}`);

export function deadLetterRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const holders: Record<Service, Pick<GatewayContext['cases'], 'ListDeadLetters' | 'RetryDeadLetter'>> = {
    'case-lifecycle': ctx.cases,
    'follow-up': ctx.followUp,
  };

  app.get('/admin/dead-letters', { config: { auth: 'operator' } }, async (req) => {
    const query = api.listDeadLetters.readQuery(req.query);
    const service = query.get('service');
    const status = query.get('status');
    const limit = query.get('limit');
    const services = service ? [service] : api.DEAD_LETTER_SERVICES;
    const lists = await Promise.all(
      services.map(async (s) => (await holders[s].ListDeadLetters({ status, limit }, callCtx(req))).deadLetters.map((d) => deadLetterJson(s, d))),
    );
    return lists
      .flat()
      .sort((a, b) => b.firstFailedAt.localeCompare(a.firstFailedAt) || a.id.localeCompare(b.id))
      .slice(0, limit);
  });

  app.post('/admin/dead-letters/:id/retry', { config: { auth: 'operator' } }, async (req) => {
    const { id } = req.params as { id: string };
    if (!UUID.test(id)) throw notFound(id);
    // The id is a UUID of one service's table: ask every holder; the one that has it retries it.
    const outcomes = await Promise.allSettled(
      api.DEAD_LETTER_SERVICES.map(async (s) => deadLetterJson(s, await holders[s].RetryDeadLetter({ id: id.toLowerCase() }, callCtx(req)))),
    );
    for (const o of outcomes) if (o.status === 'fulfilled') return o.value;
    const failures = outcomes.map((o) => (o as PromiseRejectedResult).reason as unknown);
    const other = failures.find((e) => !(e instanceof DomainError && e.type === 'NotFound'));
    // Unknown everywhere → 404; a holder that could not answer (unavailable) → its error, not a false 404.
    throw other ?? notFound(id);
  });
}
