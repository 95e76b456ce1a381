// Calls between services that live in one process (the embedded default) without the network: the
// client hands the request to the server's own dispatcher, the one its gRPC handlers use, so the
// answer, the errors, the metrics, the logs and the spans are those of a gRPC call. What is left out
// is HTTP/2 over loopback: framing, flow control, a socket write and a read each way, which cost more
// than the work of most calls (issue 12). Messages still go through the protobuf codec both ways, so
// the handler sees exactly what it would see off the wire (defaults filled, longs as strings), and the
// caller gets a fresh object. Only clients created with `inProcess` use this; a served address that is
// not in this process's registry is called over gRPC as always.
import type * as grpc from '@grpc/grpc-js';

/** One method of a served service: resolves with its response, rejects with the status a gRPC caller would get. */
export type LocalDispatch = (request: unknown, requestId: string, parent?: grpc.Metadata) => Promise<unknown>;

const served = new Map<string, Readonly<Record<string, LocalDispatch>>>();

/** Called by a gRPC server once bound: the methods at `address` can now be called in-process. */
export function registerInProcess(address: string, methods: Readonly<Record<string, LocalDispatch>>): { unregister(): void } {
  served.set(address, methods);
  return { unregister: () => (served.get(address) === methods ? served.delete(address) : undefined) };
}

/** The dispatcher of `method` if a server of this process serves `address`. */
export function inProcessTarget(address: string, method: string): LocalDispatch | undefined {
  return served.get(address)?.[method];
}

interface Codec {
  requestSerialize(value: unknown): Buffer;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: unknown): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
}

/** A status with the fields `fromServiceError` reads. */
export interface LocalStatus {
  code: grpc.status;
  details: string;
  metadata: grpc.Metadata;
}

const DEADLINE_EXCEEDED = 4;

/**
 * One unary call in-process. Rejects with a gRPC-like status (the server's, or DEADLINE_EXCEEDED
 * after `deadlineMs` as a gRPC client would; the handler, as with gRPC, is not cancelled).
 */
export function callInProcess(
  dispatch: LocalDispatch,
  codec: Codec,
  request: unknown,
  requestId: string,
  deadlineMs: number,
  emptyMetadata: () => grpc.Metadata,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject({ code: DEADLINE_EXCEEDED, details: 'Deadline exceeded', metadata: emptyMetadata() } satisfies LocalStatus),
      deadlineMs,
    );
    let decoded: unknown;
    try {
      decoded = codec.requestDeserialize(codec.requestSerialize(request));
    } catch (error) {
      clearTimeout(timer);
      reject(error);
      return;
    }
    dispatch(decoded, requestId).then(
      (response) => {
        clearTimeout(timer);
        try {
          resolve(codec.responseDeserialize(codec.responseSerialize(response)));
        } catch (error) {
          reject(error);
        }
      },
      (status: unknown) => {
        clearTimeout(timer);
        reject(status);
      },
    );
  });
}
