export { startFollowUp, type FollowUpDeps } from './service';
