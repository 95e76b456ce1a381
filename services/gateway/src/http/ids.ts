// Ids in paths (SPEC §1): a resource is named by a UUID, so anything else cannot name one and answers
// that resource's 404, exactly as an unknown or foreign id does. Lower-cased: UUIDs compare that way.
import { DomainError } from '@pp/domain';
import type { FastifyRequest } from 'fastify';
import { UUID } from './body';

const NOT_FOUND = {
  CaseNotFound: 'Case not found',
  PaymentNotFound: 'Payment not found',
  WebhookNotFound: 'Webhook not found',
  EventNotFound: 'Event not found',
  PartnerNotFound: 'No such partner',
  NotFound: 'Not found',
  InvoiceNotFound: 'Invoice not found',
} as const;
export type NotFound = keyof typeof NOT_FOUND;

export function pathId(value: string, notFound: NotFound): string {
  if (!UUID.test(value)) throw new DomainError(notFound, NOT_FOUND[notFound]);
  return value.toLowerCase();
}

/** The case id of a route `/…/:id`; a payment route answers PaymentNotFound for a bad one. */
export function caseIdOf(req: FastifyRequest<{ Params: { id: string } }>, notFound: 'CaseNotFound' | 'PaymentNotFound' = 'CaseNotFound'): string {
  return pathId(req.params.id, notFound);
}
