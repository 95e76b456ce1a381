// The Kafka security variables read together: what each combination gives kafkajs, and every
// inconsistent or unreadable setting refused at start with the variable named.
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config';
import { explainKafkaError, KafkaAuthenticationError, kafkaSecurityEnv, kafkaSecurityFrom } from './kafka-security';
import { z } from 'zod';

// A self-signed certificate and its key made for this spec only (openssl, valid for 100 years): it
// signs nothing and nothing trusts it.
const CERT = `-----BEGIN CERTIFICATE-----
MIIBlDCCATmgAwIBAgIUL/oALMYHsTvpBw8IB4YPpALXyDowCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTa2Fma2Etc2VjdXJpdHktc3BlYzAgFw0yNjEyMDMxNzU2NTRa
GA8yMTI2MTEwOTE3NTY1NFowHjEcMBoGA1UEAwwTa2Fma2Etc2VjdXJpdHktc3Bl
YzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABInEwQWfc3XxhOSMr37fWq0XoSze
o4UCaoHi6DRaBYSI88ytlLLCesujdSv7YBhvXN2ZDEU5IAQTALclFW5f2U+jUzBR
MB0GA1UdDgQWBBTexN1kHdY4yXZszfKz0enWgEXi+jAfBgNVHSMEGDAWgBTexN1k
HdY4yXZszfKz0enWgEXi+jAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kA
MEYCIQDaBqC6NM6hmBgrOokfXqvgoovbyDpintme0iqOfj3JWwIhANZpI+vVZobQ
A07cmfDoDLVhtm2U6Kh0CiJV4uzyCsmr
-----END CERTIFICATE-----`;
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgpsWfygUMPx7gCpyb
6dzdMYnKPyerV868gvFXcoNBsUyhRANCAASJxMEFn3N18YTkjK9+31qtF6Es3qOF
AmqB4ug0WgWEiPPMrZSywnrLo3Ur+2AYb1zdmQxFOSAEEwC3JRVuX9lP
-----END PRIVATE KEY-----`;
const OTHER_KEY = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-kafka-security-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const caFile = file('ca.pem', `${CERT}\n${CERT}\n`); // a bundle of two
const certFile = file('client.pem', CERT);
const keyFile = file('client.key', KEY);

const schema = z.object(kafkaSecurityEnv);
const security = (env: Record<string, string>) => kafkaSecurityFrom(parseConfig(schema, env));
function problems(env: Record<string, string>): string[] {
  try {
    security(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('Kafka security from the environment', () => {
  it('is plaintext without authentication when nothing is set', () => {
    expect(security({})).toEqual({});
    expect(security({ KAFKA_SSL: 'false', KAFKA_SASL_MECHANISM: '' })).toEqual({});
  });

  it('is TLS with the system roots, a CA bundle, and a client certificate', () => {
    expect(security({ KAFKA_SSL: 'true' })).toEqual({ ssl: { rejectUnauthorized: true } });
    expect(security({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: caFile })).toEqual({ ssl: { rejectUnauthorized: true, ca: [`${CERT}\n${CERT}\n`] } });
    expect(security({ KAFKA_SSL: '1', KAFKA_SSL_CA_FILE: caFile, KAFKA_SSL_CERT_FILE: certFile, KAFKA_SSL_KEY_FILE: keyFile }).ssl).toMatchObject({
      cert: CERT,
      key: KEY,
    });
  });

  it('is SASL with each mechanism, in either spelling, with or without TLS', () => {
    for (const [given, mechanism] of [
      ['plain', 'plain'],
      ['SCRAM-SHA-256', 'scram-sha-256'],
      ['scram-sha-512', 'scram-sha-512'],
    ]) {
      expect(security({ KAFKA_SASL_MECHANISM: given!, KAFKA_SASL_USERNAME: 'ledger', KAFKA_SASL_PASSWORD: ' p w ' })).toEqual({
        sasl: { mechanism, username: 'ledger', password: ' p w ' },
      });
    }
    expect(security({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toEqual({
      ssl: { rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    });
  });

  it('refuses a bad switch or mechanism, naming the variable', () => {
    expect(() => parseConfig(schema, { KAFKA_SSL: 'yes' })).toThrow(/KAFKA_SSL: must be true or false/);
    expect(() => parseConfig(schema, { KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(
      /KAFKA_SASL_MECHANISM: must be one of plain, scram-sha-256, scram-sha-512, got "gssapi"/,
    );
  });

  it('refuses files without KAFKA_SSL, half a client certificate and half the credentials', () => {
    expect(problems({ KAFKA_SSL_CA_FILE: caFile })).toEqual(['KAFKA_SSL_CA_FILE: is set but KAFKA_SSL is not true (set KAFKA_SSL=true to connect with TLS)']);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: certFile })).toEqual(['KAFKA_SSL_KEY_FILE: is required with KAFKA_SSL_CERT_FILE']);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_KEY_FILE: keyFile })).toEqual(['KAFKA_SSL_CERT_FILE: is required with KAFKA_SSL_KEY_FILE']);
    expect(problems({ KAFKA_SASL_MECHANISM: 'plain' })).toEqual([
      'KAFKA_SASL_USERNAME: is required with KAFKA_SASL_MECHANISM=plain',
      'KAFKA_SASL_PASSWORD: is required with KAFKA_SASL_MECHANISM=plain',
    ]);
    expect(problems({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u' })).toEqual([
      'KAFKA_SASL_PASSWORD: is required with KAFKA_SASL_MECHANISM=scram-sha-256',
    ]);
    expect(problems({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toEqual([
      'KAFKA_SASL_MECHANISM: is required with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    ]);
  });

  it('refuses a missing file, a file without a certificate or key, and a key of another certificate', () => {
    const missing = path.join(dir, 'nope.pem');
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: missing })).toEqual([`KAFKA_SSL_CA_FILE: cannot read ${missing} (ENOENT)`]);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: keyFile })).toEqual([`KAFKA_SSL_CA_FILE: ${keyFile} holds no PEM certificate`]);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: keyFile, KAFKA_SSL_KEY_FILE: certFile })).toEqual([
      `KAFKA_SSL_CERT_FILE: ${keyFile} holds no PEM certificate`,
      `KAFKA_SSL_KEY_FILE: ${certFile} holds no unencrypted PEM private key`,
    ]);
    const other = file('other.key', OTHER_KEY);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: certFile, KAFKA_SSL_KEY_FILE: other })).toEqual([
      `KAFKA_SSL_KEY_FILE: ${other} is not the private key of the certificate in KAFKA_SSL_CERT_FILE`,
    ]);
    // every problem at once, not the first only
    expect(problems({ KAFKA_SSL_CA_FILE: missing, KAFKA_SASL_PASSWORD: 'p' })).toHaveLength(2);
  });
});

describe('a refused SASL handshake', () => {
  const sasl = { sasl: { mechanism: 'scram-sha-512', username: 'ledger', password: 'secret' } } as const;
  const refused = Object.assign(new Error('SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials'), {
    name: 'KafkaJSSASLAuthenticationError',
  });

  it('becomes a KafkaAuthenticationError naming the variables, wherever kafkajs wrapped it', () => {
    for (const error of [refused, new Error('connect failed', { cause: refused }), Object.assign(new Error('retries exceeded'), { originalError: refused })]) {
      const explained = explainKafkaError(error, sasl);
      expect(explained).toBeInstanceOf(KafkaAuthenticationError);
      expect((explained as Error).message).toMatch(/scram-sha-512, user "ledger".*invalid credentials.*KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/);
      expect((explained as Error).message).not.toContain('secret');
    }
  });

  it('leaves every other error as it is (a late broker is waited for)', () => {
    const refusedConnection = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { name: 'KafkaJSConnectionError' });
    expect(explainKafkaError(refusedConnection, sasl)).toBe(refusedConnection);
  });
});
