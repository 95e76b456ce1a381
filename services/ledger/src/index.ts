export { startLedger, type LedgerDeps, type RunningLedger } from './service';
