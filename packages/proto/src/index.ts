// Loads the service definitions from protos/ at run time; the types beside them are generated from
// the same files by `npm run gen` (proto-loader-gen-types), never written by hand.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProtoGrpcType as CaseLifecycleProto } from './generated/case_lifecycle';
import type { ProtoGrpcType as FollowUpProto } from './generated/follow_up';
import type { ProtoGrpcType as LedgerProto } from './generated/ledger';

export type { LedgerClient } from './generated/ledger/v1/Ledger';
export type { LedgerHandlers } from './generated/ledger/v1/Ledger';
export type { CaseLifecycleClient, CaseLifecycleHandlers } from './generated/caselifecycle/v1/CaseLifecycle';
export type { FollowUpClient, FollowUpHandlers } from './generated/followup/v1/FollowUp';
export type * as ledgerV1 from './generated/ledger-v1';
export type * as caseLifecycleV1 from './generated/case-lifecycle-v1';
export type * as followUpV1 from './generated/follow-up-v1';
/** Messages shared by the services' ListDeadLetters and RetryDeadLetter RPCs (protos/deadletters/v1, imported by their protos). */
export type * as deadLettersV1 from './generated/dead-letters-v1';

/** The protos folder: next to the package in a checkout, or PROTOS_DIR in an image. */
export function protosDir(): string {
  const candidates = [path.resolve(__dirname, '../../../protos'), path.resolve(__dirname, '../protos')];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'ledger')));
  if (!found) throw new Error(`protos folder not found (looked in ${candidates.join(', ')})`);
  return found;
}

export const LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };

function load<T>(file: string): T {
  const definition = protoLoader.loadSync(file, { ...LOADER_OPTIONS, includeDirs: [protosDir()] });
  return grpc.loadPackageDefinition(definition) as unknown as T;
}

let cache: { ledger: LedgerProto; caseLifecycle: CaseLifecycleProto; followUp: FollowUpProto } | undefined;

export function protos() {
  cache ??= {
    ledger: load<LedgerProto>('ledger/v1/ledger.proto'),
    caseLifecycle: load<CaseLifecycleProto>('caselifecycle/v1/case_lifecycle.proto'),
    followUp: load<FollowUpProto>('followup/v1/follow_up.proto'),
  };
  return cache;
}
export type { LedgerDefinition } from './generated/ledger/v1/Ledger';
export type { CaseLifecycleDefinition } from './generated/caselifecycle/v1/CaseLifecycle';
export type { FollowUpDefinition } from './generated/followup/v1/FollowUp';
