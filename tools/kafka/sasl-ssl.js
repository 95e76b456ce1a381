'use strict';
/**
 * The SASL_SSL mode of local-kafka.js: a test CA, a broker certificate for 127.0.0.1 and a client
 * certificate made with openssl in <dataDir>/tls, one user with a random password known to PLAIN,
 * SCRAM-SHA-256 and SCRAM-SHA-512, and the broker properties of a SASL_SSL client listener.
 *
 * The KRaft controller and the inter-broker listener stay PLAINTEXT on loopback: only the clients'
 * listener is what is under test, and the readiness probe of local-kafka.js keeps its plain Metadata
 * request on the inter-broker port.
 *
 * Everything is kept in the data dir, so a restart on the same dir (`kafka.restart()`) keeps the same
 * certificates and credentials; the SCRAM credentials live in the metadata log from `format` on.
 */

const crypto = require('node:crypto');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const USERNAME = 'pptest';
const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'];
const DAYS = '30';
const OPENSSL_TIMEOUT_MS = 30_000;

// Our own minimal openssl config: the system's may add or forbid extensions.
const OPENSSL_CONFIG = `[req]
distinguished_name = dn
x509_extensions = v3_ca
prompt = no
[dn]
CN = local-kafka
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
`;

function openssl(args, cwd) {
  return new Promise((resolve, reject) => {
    execFile(process.env.OPENSSL || 'openssl', args, { cwd, timeout: OPENSSL_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const reason = error.code === 'ENOENT' ? "'openssl' not found (is it installed and on PATH?)" : `${error.message}\n${stderr}`;
      reject(new Error(`openssl ${args[0]} failed: ${reason}`));
    });
  });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A key and a certificate signed by the test CA, for `usage` (serverAuth or clientAuth). */
async function issue(dir, name, usage, subjectAltName) {
  await openssl(['req', '-new', '-config', 'openssl.cnf', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  const extensions = ['basicConstraints = CA:FALSE', 'keyUsage = critical,digitalSignature', `extendedKeyUsage = ${usage}`];
  if (subjectAltName) extensions.push(`subjectAltName = ${subjectAltName}`);
  fs.writeFileSync(path.join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
  const serial = `0x${crypto.randomBytes(8).toString('hex')}`;
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', serial, '-days', DAYS, '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
}

/**
 * Makes (or, on a restart, finds) the certificates and the credentials in <dataDir>/tls.
 * @returns {Promise<{ dir: string, caFile: string, clientCertFile: string, clientKeyFile: string, keystoreFile: string,
 *   keystorePassword: string, username: string, password: string }>}
 */
async function prepareSaslSsl(dataDir) {
  const dir = path.join(dataDir, 'tls');
  const stateFile = path.join(dir, 'state.json');
  if (fs.existsSync(stateFile)) return JSON.parse(fs.readFileSync(stateFile, 'utf8'));

  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'openssl.cnf'), OPENSSL_CONFIG);
  await openssl(['req', '-x509', '-config', 'openssl.cnf', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', DAYS, '-subj', '/CN=local-kafka test CA'], dir);
  await issue(dir, 'broker', 'serverAuth', 'IP:127.0.0.1,DNS:localhost');
  await issue(dir, 'client', 'clientAuth');
  const keystorePassword = crypto.randomBytes(12).toString('hex');
  await openssl(
    ['pkcs12', '-export', '-in', 'broker.pem', '-inkey', 'broker.key', '-certfile', 'ca.pem', '-name', 'broker', '-out', 'broker.p12', '-passout', `pass:${keystorePassword}`],
    dir,
  );
  const state = {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    clientCertFile: path.join(dir, 'client.pem'),
    clientKeyFile: path.join(dir, 'client.key'),
    keystoreFile: path.join(dir, 'broker.p12'),
    keystorePassword,
    username: USERNAME,
    password: crypto.randomBytes(12).toString('hex'),
  };
  fs.writeFileSync(stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });
  return state;
}

/** `kafka-storage format` arguments that store the user's SCRAM credentials for both hash sizes. */
function scramFormatArgs(state) {
  return ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${state.username},password=${state.password}]`]);
}

/**
 * Broker properties of the SASL_SSL client listener on `port`, next to the PLAINTEXT inter-broker
 * listener on `internalPort`. clientAuth 'required' makes the broker demand a certificate signed by the test CA.
 */
function saslSslProperties({ state, host, port, internalPort, controllerPort, clientAuth }) {
  const l = 'listener.name.sasl_ssl.';
  return {
    listeners: `SASL_SSL://${host}:${port},PLAINTEXT://${host}:${internalPort},CONTROLLER://${host}:${controllerPort}`,
    'advertised.listeners': `SASL_SSL://${host}:${port},PLAINTEXT://${host}:${internalPort}`,
    'listener.security.protocol.map': 'SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    [`${l}sasl.enabled.mechanisms`]: MECHANISMS.map((m) => m.toUpperCase()).join(','),
    [`${l}plain.sasl.jaas.config`]: `org.apache.kafka.common.security.plain.PlainLoginModule required user_${state.username}="${state.password}";`,
    [`${l}scram-sha-256.sasl.jaas.config`]: 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    [`${l}scram-sha-512.sasl.jaas.config`]: 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    [`${l}ssl.keystore.type`]: 'PKCS12',
    [`${l}ssl.keystore.location`]: state.keystoreFile,
    [`${l}ssl.keystore.password`]: state.keystorePassword,
    [`${l}ssl.key.password`]: state.keystorePassword,
    [`${l}ssl.truststore.type`]: 'PEM',
    [`${l}ssl.truststore.location`]: state.caFile,
    [`${l}ssl.client.auth`]: clientAuth === 'required' ? 'required' : 'none',
  };
}

/** What a test needs to connect (the file paths, the user, the mechanisms the listener accepts). */
function clientSecurity(state, clientAuth) {
  return {
    protocol: 'SASL_SSL',
    caFile: state.caFile,
    clientCertFile: state.clientCertFile,
    clientKeyFile: state.clientKeyFile,
    clientAuth: clientAuth === 'required' ? 'required' : 'none',
    username: state.username,
    password: state.password,
    mechanisms: [...MECHANISMS],
  };
}

module.exports = { prepareSaslSsl, scramFormatArgs, saslSslProperties, clientSecurity };
