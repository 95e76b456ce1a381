export { startFollowUp, type FollowUpDeps } from './service';
export { fileTransport, smtpTransport, type MailTransport } from './infra/mail-transport';
