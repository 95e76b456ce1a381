// How a process authenticates to Kafka and protects the connection, from the environment (README,
// "Kafka security"): TLS with a CA bundle and an optional client certificate, SASL PLAIN, SCRAM-SHA-256
// or SCRAM-SHA-512. The files are read and checked once, at start, so a wrong path or a key that does
// not match its certificate stops the process with the variable named, instead of failing every
// connection attempt later. A broker that refuses the credentials is reported the same way
// (KafkaAuthenticationError): waiting cannot fix it, unlike a broker that is merely late.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { z } from 'zod';
import { ConfigError, env } from './config';

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof MECHANISMS)[number];

/** An unset or empty variable is absent; a value is kept as given (a password may have spaces). */
const optionalText = () =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === '' ? undefined : v));

/** The variables, to spread into a process's zod schema (serviceEnvSchema, the embedded process's). */
export const kafkaSecurityEnv = {
  KAFKA_SSL: env.bool(false),
  KAFKA_SSL_CA_FILE: optionalText(),
  KAFKA_SSL_CERT_FILE: optionalText(),
  KAFKA_SSL_KEY_FILE: optionalText(),
  // Kafka's own documents spell the mechanisms in capitals (SCRAM-SHA-512): both spellings are accepted.
  KAFKA_SASL_MECHANISM: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const mechanism = v.toLowerCase();
      if ((MECHANISMS as readonly string[]).includes(mechanism)) return mechanism as KafkaSaslMechanism;
      ctx.addIssue({ code: 'custom', message: `must be one of ${MECHANISMS.join(', ')}, got "${v}"` });
      return z.NEVER;
    }),
  KAFKA_SASL_USERNAME: optionalText(),
  KAFKA_SASL_PASSWORD: optionalText(),
};

export interface KafkaSecurityEnv {
  readonly KAFKA_SSL: boolean;
  readonly KAFKA_SSL_CA_FILE?: string | undefined;
  readonly KAFKA_SSL_CERT_FILE?: string | undefined;
  readonly KAFKA_SSL_KEY_FILE?: string | undefined;
  readonly KAFKA_SASL_MECHANISM?: KafkaSaslMechanism | undefined;
  readonly KAFKA_SASL_USERNAME?: string | undefined;
  readonly KAFKA_SASL_PASSWORD?: string | undefined;
}

/** What the kafkajs client is given: no `ssl` means plaintext, no `sasl` means no authentication. */
export interface KafkaSecurity {
  readonly ssl?: ConnectionOptions;
  readonly sasl?: { readonly mechanism: KafkaSaslMechanism; readonly username: string; readonly password: string };
}

type ReadFile = (file: string) => string;

/**
 * Checks the variables together and reads their files. Every problem is collected and thrown as one
 * ConfigError naming the variables, like any other bad value of the environment.
 */
export function kafkaSecurityFrom(config: KafkaSecurityEnv, readFile: ReadFile = (file) => fs.readFileSync(file, 'utf8')): KafkaSecurity {
  const problems: string[] = [];
  const read = (key: keyof KafkaSecurityEnv, file: string): string | undefined => {
    try {
      return readFile(file);
    } catch (error) {
      problems.push(`${key}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      return undefined;
    }
  };

  let ssl: ConnectionOptions | undefined;
  const files = (['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const).filter((k) => config[k] !== undefined);
  if (!config.KAFKA_SSL) {
    // Silently connecting in plaintext next to a configured CA would hide a forgotten switch.
    for (const key of files) problems.push(`${key}: is set but KAFKA_SSL is not true (set KAFKA_SSL=true to connect with TLS)`);
  } else {
    // Without a CA bundle the system's trusted roots apply (a broker with a publicly signed certificate).
    const ca = config.KAFKA_SSL_CA_FILE === undefined ? undefined : read('KAFKA_SSL_CA_FILE', config.KAFKA_SSL_CA_FILE);
    if (ca !== undefined && certificateOf(ca) === undefined) problems.push(`KAFKA_SSL_CA_FILE: ${config.KAFKA_SSL_CA_FILE} holds no PEM certificate`);
    const client = clientCertificate(config, read, problems);
    ssl = { rejectUnauthorized: true, ...(ca === undefined ? {} : { ca: [ca] }), ...(client ?? {}) };
  }

  let sasl: KafkaSecurity['sasl'];
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = config;
  if (mechanism === undefined) {
    if (username !== undefined || password !== undefined) problems.push('KAFKA_SASL_MECHANISM: is required with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
  } else {
    if (username === undefined) problems.push(`KAFKA_SASL_USERNAME: is required with KAFKA_SASL_MECHANISM=${mechanism}`);
    if (password === undefined) problems.push(`KAFKA_SASL_PASSWORD: is required with KAFKA_SASL_MECHANISM=${mechanism}`);
    if (username !== undefined && password !== undefined) sasl = { mechanism, username, password };
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return { ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}

function clientCertificate(config: KafkaSecurityEnv, read: (key: keyof KafkaSecurityEnv, file: string) => string | undefined, problems: string[]) {
  const { KAFKA_SSL_CERT_FILE: certFile, KAFKA_SSL_KEY_FILE: keyFile } = config;
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    problems.push(
      certFile === undefined ? 'KAFKA_SSL_CERT_FILE: is required with KAFKA_SSL_KEY_FILE' : 'KAFKA_SSL_KEY_FILE: is required with KAFKA_SSL_CERT_FILE',
    );
    return undefined;
  }
  const cert = read('KAFKA_SSL_CERT_FILE', certFile);
  const key = read('KAFKA_SSL_KEY_FILE', keyFile);
  if (cert === undefined || key === undefined) return undefined;
  const certificate = certificateOf(cert);
  if (!certificate) problems.push(`KAFKA_SSL_CERT_FILE: ${certFile} holds no PEM certificate`);
  let privateKey: KeyObject | undefined;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    problems.push(`KAFKA_SSL_KEY_FILE: ${keyFile} holds no unencrypted PEM private key`);
  }
  // A key of another certificate would only show as a handshake the broker drops, on every attempt.
  if (certificate && privateKey && !certificate.checkPrivateKey(privateKey)) {
    problems.push(`KAFKA_SSL_KEY_FILE: ${keyFile} is not the private key of the certificate in KAFKA_SSL_CERT_FILE`);
  }
  return { cert, key };
}

/** The first certificate of a PEM text (a bundle may hold several), or undefined. */
function certificateOf(pem: string): X509Certificate | undefined {
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (!first) return undefined;
  try {
    return new X509Certificate(first[0]);
  } catch {
    return undefined;
  }
}

/** How the client connects, for a log line: never the password. */
export function describeKafkaSecurity(security: KafkaSecurity): Record<string, unknown> {
  return {
    protocol: `${security.sasl ? 'SASL_' : ''}${security.ssl ? 'SSL' : 'PLAINTEXT'}`,
    ...(security.sasl ? { saslMechanism: security.sasl.mechanism, saslUsername: security.sasl.username } : {}),
    ...(security.ssl ? { clientCertificate: security.ssl.cert !== undefined } : {}),
  };
}

/** The broker refused the SASL credentials or mechanism: a configuration error, not a late dependency. */
export class KafkaAuthenticationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KafkaAuthenticationError';
  }
}

/** kafkajs's error of a refused SASL handshake, wherever in the chain of causes it is. */
function saslFailure(error: unknown): Error | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (e.name === 'KafkaJSSASLAuthenticationError') return e;
    e = (e as { originalError?: unknown }).originalError ?? e.cause;
  }
  return undefined;
}

/** The error itself, or a KafkaAuthenticationError naming the variables to check when the broker refused our credentials. */
export function explainKafkaError(error: unknown, security: KafkaSecurity): unknown {
  const refused = saslFailure(error);
  if (!refused) return error;
  const who = security.sasl ? ` (${security.sasl.mechanism}, user "${security.sasl.username}")` : '';
  return new KafkaAuthenticationError(
    `Kafka refused the SASL authentication${who}: ${refused.message}. Check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, and that KAFKA_SASL_MECHANISM is one the broker enables.`,
    { cause: error },
  );
}
