// The partner's own events as a stream (issue 16, GET /webhooks/events/stream): each public event of the
// log, as a webhook would deliver it, with a position to resume from. Test-case and production events
// are separate streams.
import { classificationOf, DomainError, type WebhookEvent } from '@pp/domain';
import type { WebhookEnvelope } from '@pp/events';
import * as s from '../infra/stream.queries';
import type { CaseContext } from './context';

const POSITION = /^(\d{1,20}):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(\d{1,9})$/i;
const MAX_BATCH = 500;

export function parsePosition(text: string): s.StreamPosition {
  const m = POSITION.exec(text);
  if (!m) throw new DomainError('ValidationError', 'Last-Event-ID: not a position of this stream', 'Last-Event-ID');
  return { tx: m[1]!, caseId: m[2]!.toLowerCase(), sequence: Number(m[3]) };
}

const positionText = (p: s.StreamPosition) => `${p.tx}:${p.caseId}:${p.sequence}`;

export async function readEventStream(ctx: CaseContext, partnerId: string, isTest: boolean, after: string, limit: number) {
  const from = after ? parsePosition(after) : await s.currentPosition(ctx.db);
  const rows = await s.eventsAfter(ctx.db, partnerId, isTest, from, Math.min(Math.max(limit, 1), MAX_BATCH));
  const events = rows.map((row) => {
    const envelope: WebhookEnvelope = {
      id: row.id,
      specVersion: '1.0',
      event: row.type as WebhookEvent,
      timestamp: new Date(row.created_at).toISOString(),
      classification: classificationOf(row.is_test),
      data: (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as WebhookEnvelope['data'],
    };
    return { position: positionText({ tx: row.tx, caseId: row.case_id, sequence: row.sequence }), envelopeJson: JSON.stringify(envelope) };
  });
  return { events, position: events.at(-1)?.position ?? positionText(from) };
}
