export { startCaseLifecycle, type CaseLifecycleDeps } from './service';
