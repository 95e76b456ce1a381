import type { Db, GrpcClient } from '@pp/platform';
import type { LedgerDefinition } from '@pp/proto';

export interface CaseContext {
  readonly db: Db;
  readonly ledger: GrpcClient<LedgerDefinition>;
  readonly clock: () => Date;
  readonly newId: () => string;
  readonly randomBytes: (n: number) => Uint8Array;
}
