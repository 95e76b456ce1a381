// An answer given before the request's body was read (401 from the key check, 413 from the size
// check, 503 at start) must still reach the client. Node closes such a connection as soon as the
// answer is written; the client is still sending, its kernel gets a reset and drops the answer it
// had not read yet (EPIPE / ECONNRESET instead of a status). So the rest of the body is read and
// discarded first, within bounds, the way nginx's lingering close does it; past the bounds the
// connection is closed as before.
import type { IncomingMessage } from 'node:http';

export interface DrainLimits {
  /** more unread body than this is not worth reading: answer and close */
  readonly maxBytes: number;
  /** a client slower than this is not waited for */
  readonly maxMs: number;
}

export const DRAIN_LIMITS: DrainLimits = { maxBytes: 16 * 1024 * 1024, maxMs: 5_000 };

/** Resolves once the body has been read to its end, or a bound was reached; never rejects. */
export function drainRequest(req: IncomingMessage, limits: DrainLimits = DRAIN_LIMITS): Promise<void> {
  if (req.complete || req.readableEnded || req.destroyed) return Promise.resolve();
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes) return Promise.resolve();
  return new Promise((resolve) => {
    let read = 0;
    const done = () => {
      clearTimeout(timer);
      req.off('data', onData).off('end', done).off('close', done).off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > limits.maxBytes) done();
    };
    const timer = setTimeout(done, limits.maxMs);
    req.on('data', onData).on('end', done).on('close', done).on('error', done);
    req.resume();
  });
}
