#!/usr/bin/env node
'use strict';
/**
 * Runs a real single-node Apache Kafka broker (KRaft, combined broker+controller) from the
 * official jars on Maven Central. No Docker, no npm dependencies: needs `java` (17+) and `mvn`.
 *
 * Library:
 *   const { startLocalKafka } = require('./tools/kafka/local-kafka');
 *   const kafka = await startLocalKafka();          // { brokers, port, controllerPort, pid, dataDir, ... }
 *   await kafka.stop();                             // SIGTERM, then SIGKILL after 15 s; removes temp data
 *
 *   // Restart on the same ports + data (fault tests):
 *   await kafka.stop({ keepData: true });
 *   const again = await startLocalKafka({ dataDir: kafka.dataDir, port: kafka.port, controllerPort: kafka.controllerPort });
 *   // or simply: const again = await kafka.restart();
 *
 *   // A SASL_SSL client listener (test CA and certificates made with openssl, one user for PLAIN,
 *   // SCRAM-SHA-256 and SCRAM-SHA-512; see sasl-ssl.js); clientAuth 'required' also demands a client certificate:
 *   const secure = await startLocalKafka({ security: 'sasl_ssl', clientAuth: 'required' });
 *   // secure.security = { caFile, clientCertFile, clientKeyFile, username, password, mechanisms, ... }
 *
 * CLI:
 *   node tools/kafka/local-kafka.js fetch     # download the jars into the cache only
 *   node tools/kafka/local-kafka.js start [--data-dir DIR] [--port N] [--controller-port N] [--security sasl_ssl [--client-auth required]]
 *     prints one JSON line {"brokers":"127.0.0.1:N","pid":N,...} and runs until SIGINT/SIGTERM.
 *
 * Env: KAFKA_CACHE_DIR (jar cache dir, default <repo>/.cache/kafka/<version>),
 *      KAFKA_LOG_LEVEL (broker log4j root level, default WARN), JAVA_HOME, MVN (maven binary),
 *      OPENSSL (openssl binary, for security 'sasl_ssl').
 */

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { clientSecurity, prepareSaslSsl, saslSslProperties, scramFormatArgs } = require('./sasl-ssl');

// Keep in sync with <kafka.version> in pom.xml (we also pass it to Maven explicitly).
const KAFKA_VERSION = '3.9.2';
const NODE_ID = 1;
const HOST = '127.0.0.1';

const READY_TIMEOUT_MS = 90_000;
const READY_POLL_MS = 250;
const STOP_TIMEOUT_MS = 15_000;
const MAVEN_TIMEOUT_MS = 10 * 60_000;

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const POM_FILE = path.join(__dirname, 'pom.xml');
const LOG4J_FILE = path.join(__dirname, 'log4j.properties');
const MARKER_NAME = '.complete.json';

const defaultLog = (msg) => process.stderr.write(`[local-kafka] ${msg}\n`);
const noop = () => {};
const toLogger = (log) => (typeof log === 'function' ? log : log === false ? noop : defaultLog);

function cacheDir() {
  return path.resolve(process.env.KAFKA_CACHE_DIR || path.join(REPO_ROOT, '.cache', 'kafka', KAFKA_VERSION));
}

function javaBin() {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

// ---------------------------------------------------------------------------------------------
// Jars
// ---------------------------------------------------------------------------------------------

/** True when `libsDir` holds a finished copy (marker written last, every listed jar present). */
function libsComplete(libsDir) {
  try {
    const marker = JSON.parse(fs.readFileSync(path.join(libsDir, MARKER_NAME), 'utf8'));
    return (
      marker.version === KAFKA_VERSION &&
      Array.isArray(marker.jars) &&
      marker.jars.length > 0 &&
      marker.jars.every((jar) => fs.existsSync(path.join(libsDir, jar)))
    );
  } catch {
    return false;
  }
}

/** Runs a command, capturing stdout+stderr together. Resolves { code, output }; rejects only on spawn errors. */
function run(cmd, args, { cwd, timeoutMs } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : null;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err.code === 'ENOENT' ? new Error(`'${cmd}' not found (is it installed and on PATH?)`) : err);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), signal, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

async function mavenCopy(outDir) {
  const args = [
    '-q', '-B', '-ntp', '-Dstyle.color=never',
    '-f', POM_FILE,
    `-Dkafka.version=${KAFKA_VERSION}`,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${outDir}`,
    '-DincludeScope=runtime',
  ];
  return run(process.env.MVN || 'mvn', args, { cwd: __dirname, timeoutMs: MAVEN_TIMEOUT_MS });
}

const jarPromises = new Map();

/**
 * Makes sure the Kafka jars are in the cache (downloading them via Maven if needed).
 * @param {{ log?: ((msg: string) => void) | false }} [opts]
 * @returns {Promise<{ libsDir: string }>}
 */
function ensureKafkaJars(opts = {}) {
  const dir = cacheDir();
  // Concurrent callers in one process share a single download.
  if (!jarPromises.has(dir)) {
    const p = doEnsureKafkaJars(dir, toLogger(opts.log));
    jarPromises.set(dir, p);
    p.catch(() => jarPromises.delete(dir));
  }
  return jarPromises.get(dir);
}

async function doEnsureKafkaJars(dir, log) {
  const libsDir = path.join(dir, 'libs');
  if (libsComplete(libsDir)) return { libsDir };

  fs.mkdirSync(dir, { recursive: true });
  // Copy into a private dir and rename at the end, so a crash (or a parallel process)
  // never leaves a half-filled libs/ that looks usable.
  const tmpDir = path.join(dir, `libs.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  const started = Date.now();
  log(`fetching Kafka ${KAFKA_VERSION} jars with Maven into ${libsDir}`);
  try {
    let result;
    for (let attempt = 1; attempt <= 2; attempt++) {
      fs.rmSync(tmpDir, { recursive: true, force: true });
      result = await mavenCopy(tmpDir);
      if (result.code === 0) break;
      log(`maven attempt ${attempt} failed (exit ${result.code}); output:\n${result.output.trimEnd()}`);
    }
    if (result.code !== 0) {
      throw new Error(`mvn dependency:copy-dependencies failed twice (exit ${result.code}); see output above`);
    }
    const jars = fs.readdirSync(tmpDir).filter((f) => f.endsWith('.jar')).sort();
    if (!jars.some((j) => j.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) {
      throw new Error(`maven succeeded but kafka_2.13-${KAFKA_VERSION}.jar is missing from ${tmpDir}`);
    }
    fs.writeFileSync(path.join(tmpDir, MARKER_NAME), JSON.stringify({ version: KAFKA_VERSION, jars }, null, 2));

    // A parallel process may have finished meanwhile; never replace a complete copy (it may be in use).
    if (!libsComplete(libsDir)) {
      fs.rmSync(libsDir, { recursive: true, force: true }); // stale, incomplete copy
      try {
        fs.renameSync(tmpDir, libsDir);
      } catch (err) {
        if (!libsComplete(libsDir)) throw err; // lost a rename race to a complete copy: fine
      }
    }
    log(`fetched ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { libsDir };
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Kafka wire protocol: just enough for a Metadata request (readiness probe)
// ---------------------------------------------------------------------------------------------

const METADATA_API_KEY = 3;
// v4 rather than v1: it carries cluster_id (lets us check it's *our* broker on that port),
// and v0-v3 are removed in Kafka 4.0 (KIP-896) while v4 stays. Non-flexible encoding, so
// it is still trivial to hand-roll.
const METADATA_API_VERSION = 4;
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

function encodeString(s) {
  const bytes = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeInt16BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

function encodeMetadataRequest(correlationId, topics) {
  const head = Buffer.alloc(8);
  head.writeInt16BE(METADATA_API_KEY, 0);
  head.writeInt16BE(METADATA_API_VERSION, 2);
  head.writeInt32BE(correlationId, 4);
  const count = Buffer.alloc(4);
  count.writeInt32BE(topics === null ? -1 : topics.length); // -1 = all topics
  const body = Buffer.concat([
    head,
    encodeString('local-kafka-probe'), // client_id
    count,
    ...(topics || []).map(encodeString),
    Buffer.from([0]), // allow_auto_topic_creation = false
  ]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** Bounds-checked big-endian reader; throws RangeError on truncated/garbage input. */
class Reader {
  constructor(buf) {
    this.buf = buf;
    this.pos = 0;
  }
  take(n) {
    if (n < 0 || this.pos + n > this.buf.length) throw new RangeError('truncated Kafka response');
    const at = this.pos;
    this.pos += n;
    return at;
  }
  int8() { return this.buf.readInt8(this.take(1)); }
  int16() { return this.buf.readInt16BE(this.take(2)); }
  int32() { return this.buf.readInt32BE(this.take(4)); }
  nullableString() {
    const len = this.int16();
    if (len === -1) return null;
    const at = this.take(len);
    return this.buf.toString('utf8', at, at + len);
  }
  string() {
    const s = this.nullableString();
    if (s === null) throw new RangeError('unexpected null string');
    return s;
  }
  array(fn) {
    const n = this.int32();
    if (n === -1) return null;
    if (n < 0 || n > this.buf.length) throw new RangeError('bad array length');
    return Array.from({ length: n }, () => fn(this));
  }
}

function decodeMetadataResponse(buf, expectedCorrelationId) {
  const r = new Reader(buf);
  const correlationId = r.int32();
  if (correlationId !== expectedCorrelationId) throw new Error(`correlation id mismatch (${correlationId})`);
  const throttleTimeMs = r.int32();
  const brokers = r.array((x) => ({ nodeId: x.int32(), host: x.string(), port: x.int32(), rack: x.nullableString() }));
  const clusterId = r.nullableString();
  const controllerId = r.int32();
  const topics = r.array((x) => ({
    errorCode: x.int16(),
    name: x.string(),
    isInternal: x.int8() !== 0,
    partitions: x.array((p) => ({
      errorCode: p.int16(),
      partition: p.int32(),
      leader: p.int32(),
      replicas: p.array((q) => q.int32()),
      isr: p.array((q) => q.int32()),
    })),
  }));
  if (r.pos !== buf.length) throw new Error('trailing bytes in Metadata response');
  return { throttleTimeMs, brokers: brokers || [], clusterId, controllerId, topics: topics || [] };
}

let nextCorrelationId = 1;

/**
 * Sends one Metadata (v4) request over a fresh TCP connection and decodes the response.
 * @param {{ host?: string, port: number, topics?: string[] | null, timeoutMs?: number }} opts
 *   topics: null = all topics (default), [] = none.
 * @returns {Promise<{ brokers: {nodeId:number,host:string,port:number,rack:string|null}[], clusterId: string|null,
 *   controllerId: number, topics: {errorCode:number,name:string,isInternal:boolean,partitions:object[]}[] }>}
 */
function fetchMetadata({ host = HOST, port, topics = null, timeoutMs = 5000 }) {
  const correlationId = nextCorrelationId++ & 0x7fffffff;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let received = Buffer.alloc(0);
    const finish = (err, value) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`no Metadata response within ${timeoutMs} ms`)));
    socket.on('error', (err) => finish(err));
    socket.on('connect', () => socket.write(encodeMetadataRequest(correlationId, topics)));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const size = received.readInt32BE(0);
      if (size < 0 || size > MAX_RESPONSE_BYTES) return finish(new Error(`bad response size ${size}`));
      if (received.length < 4 + size) return;
      try {
        finish(null, decodeMetadataResponse(received.subarray(4, 4 + size), correlationId));
      } catch (err) {
        finish(err);
      }
    });
    socket.on('end', () => finish(new Error('connection closed before a full response')));
  });
}

// ---------------------------------------------------------------------------------------------
// Broker process
// ---------------------------------------------------------------------------------------------

/** Kafka cluster ids are Uuids printed as base64url without padding (22 chars). */
function generateClusterId() {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    // Like Kafka's Uuid.randomUuid(): a leading '-' would be parsed as a CLI flag by StorageTool.
    if (!id.startsWith('-')) return id;
  }
}

/** Reserves `count` distinct free loopback ports by binding port 0 (all at once, so they differ). */
async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, HOST, resolve);
      });
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(() => resolve()))));
  }
}

// Java .properties treats backslash as an escape char (matters for Windows paths).
const propValue = (v) => String(v).replace(/\\/g, '\\\\');

function serverProperties({ dataDir, port, controllerPort, saslSsl }) {
  const props = {
    // KRaft combined mode: this one JVM is both the broker and the only controller (quorum voter).
    'process.roles': 'broker,controller',
    'node.id': NODE_ID,
    'controller.quorum.voters': `${NODE_ID}@${HOST}:${controllerPort}`,
    listeners: `PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    // SASL_SSL mode: the clients' listener on `port`, the plaintext one moves to saslSsl.internalPort.
    ...(saslSsl ? saslSslProperties({ ...saslSsl, host: HOST, port, controllerPort }) : {}),

    'log.dirs': path.join(dataDir, 'logs'),

    // Single node: every replication factor / ISR must be 1 or topic creation stalls.
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    // Fewer internal partitions than the defaults (50): faster first group join / first transaction.
    'offsets.topic.num.partitions': 5,
    'transaction.state.log.num.partitions': 5,

    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': true,
    'delete.topic.enable': true,
    'num.partitions': 4,

    // Small, test-friendly storage footprint.
    'log.segment.bytes': 16 * 1024 * 1024,
    'log.retention.hours': 24,
    'log.retention.bytes': 256 * 1024 * 1024,
    'log.retention.check.interval.ms': 60_000,
    // The cleaner allocates its dedupe buffer eagerly (default 128 MB) - too much for a 512 MB heap.
    'log.cleaner.dedupe.buffer.size': 16 * 1024 * 1024,
    'num.recovery.threads.per.data.dir': 1,

    // Sized for a 2-core machine (defaults: 3 network, 8 io threads).
    'num.network.threads': 2,
    'num.io.threads': 4,
  };
  return (
    '# Generated by tools/kafka/local-kafka.js - rewritten on every start.\n' +
    Object.entries(props).map(([k, v]) => `${k}=${propValue(v)}`).join('\n') +
    '\n'
  );
}

function jvmArgs(libsDir, dataDir, heap) {
  return [
    ...heap,
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=${pathToFileURL(LOG4J_FILE).href}`,
    `-Dkafka.logs.dir=${dataDir}`,
    `-Dkafka.log.level=${process.env.KAFKA_LOG_LEVEL || 'WARN'}`,
    '-cp',
    path.join(libsDir, '*'), // expanded by java itself, no shell involved
  ];
}

function tailFile(file, maxLines = 40) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const lines = text.trimEnd().split('\n');
    return lines.slice(-maxLines).join('\n');
  } catch {
    return '(missing)';
  }
}

function logTails(dataDir) {
  return (
    `--- tail of ${path.join(dataDir, 'server.log')} ---\n${tailFile(path.join(dataDir, 'server.log'))}\n` +
    `--- tail of ${path.join(dataDir, 'kafka.out')} ---\n${tailFile(path.join(dataDir, 'kafka.out'))}`
  );
}

const metaPropertiesFile = (dataDir) => path.join(dataDir, 'logs', 'meta.properties');

function readClusterId(dataDir) {
  const m = /^cluster\.id=(.+)$/m.exec(fs.readFileSync(metaPropertiesFile(dataDir), 'utf8'));
  if (!m) throw new Error(`no cluster.id in ${metaPropertiesFile(dataDir)}`);
  return m[1].trim();
}

async function formatStorage({ libsDir, dataDir, propsFile, log, extraArgs = [] }) {
  const clusterId = generateClusterId();
  const args = [
    ...jvmArgs(libsDir, dataDir, ['-Xmx256m']),
    'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile, ...extraArgs,
  ];
  const result = await run(javaBin(), args);
  if (result.code !== 0) {
    throw new Error(`kafka StorageTool format failed (exit ${result.code}):\n${result.output}\n${logTails(dataDir)}`);
  }
  log(`formatted ${path.join(dataDir, 'logs')} with cluster id ${clusterId}`);
  return clusterId;
}

// Live brokers of this process (child -> temp data dir to delete, or null), killed if the
// process goes away first.
const liveChildren = new Map();

function killAllSync() {
  for (const [child, tempDir] of liveChildren) {
    try {
      child.kill('SIGKILL');
      // SIGKILL stops all writes at once, so the dir can go right away (exit hooks must be sync).
      if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      /* already gone */
    }
  }
}

const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
function onSignal(signal) {
  // Someone else handles this signal (e.g. our CLI stops the broker gracefully): leave it to them.
  // Their process.exit() still reaches our 'exit' hook.
  if (process.listenerCount(signal) > 1) return;
  // We are the only listener, so we masked the default "die on signal": kill the brokers, then
  // re-raise so the process terminates exactly as it would have without us.
  killAllSync();
  uninstallHooks();
  process.kill(process.pid, signal);
}

let hooksInstalled = false;
function installHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllSync);
  for (const s of EXIT_SIGNALS) process.on(s, onSignal);
}
function uninstallHooks() {
  if (!hooksInstalled) return;
  hooksInstalled = false;
  process.removeListener('exit', killAllSync);
  for (const s of EXIT_SIGNALS) process.removeListener(s, onSignal);
}

// Data dirs this module created; a restart on one of them inherits the duty to delete it.
const ownedDataDirs = new Set();

/**
 * Starts a single-node KRaft Kafka broker and resolves once it answers Metadata requests.
 * @param {{ dataDir?: string, port?: number, controllerPort?: number, internalPort?: number, log?: ((msg: string) => void) | false,
 *           readyTimeoutMs?: number, security?: 'plaintext' | 'sasl_ssl', clientAuth?: 'none' | 'required' }} [opts]
 *   dataDir: reused as-is if already formatted (restart); otherwise a fresh temp dir is created.
 *   port/controllerPort: fixed ports (for restarts); otherwise free ports are picked.
 *   security 'sasl_ssl': `port` is a SASL_SSL listener (sasl-ssl.js) and the plaintext inter-broker
 *   listener gets `internalPort`; the result's `security` has what a client needs.
 * @returns {Promise<{ brokers: string, port: number, controllerPort: number, pid: number, dataDir: string,
 *   clusterId: string, startupMs: number, exited: Promise<{code: number|null, signal: string|null}>,
 *   stop: (opts?: { keepData?: boolean }) => Promise<void>, restart: () => Promise<object> }>}
 */
async function startLocalKafka(opts = {}) {
  const log = toLogger(opts.log);
  const { libsDir } = await ensureKafkaJars({ log });

  if (opts.security != null && opts.security !== 'plaintext' && opts.security !== 'sasl_ssl') throw new Error(`unknown security mode: ${opts.security}`);
  const fixedPorts = opts.port != null || opts.controllerPort != null || opts.internalPort != null;
  // Auto-picked ports can be grabbed by someone else between our probe and Kafka's bind:
  // retry once with new ports in that case.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce({ ...opts, log, libsDir });
    } catch (err) {
      if (fixedPorts || attempt >= 2 || !err.portInUse) throw err;
      log('port was taken before the broker could bind it; retrying with new ports');
    }
  }
}

async function startOnce({ dataDir: givenDataDir, port, controllerPort, internalPort, log, libsDir, readyTimeoutMs = READY_TIMEOUT_MS, security, clientAuth }) {
  const secure = security === 'sasl_ssl';
  const created = !givenDataDir;
  const dataDir = path.resolve(givenDataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-')));
  const ownsDataDir = created || ownedDataDirs.has(dataDir);
  if (created) ownedDataDirs.add(dataDir);
  const cleanupCreated = () => {
    if (created) {
      ownedDataDirs.delete(dataDir);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  };

  try {
    fs.mkdirSync(dataDir, { recursive: true });
    if (port == null || controllerPort == null || (secure && internalPort == null)) {
      const taken = new Set([port, controllerPort, internalPort].filter((p) => p != null));
      const free = (await freePorts(3)).filter((p) => !taken.has(p));
      port = port ?? free.shift();
      controllerPort = controllerPort ?? free.shift();
      if (secure) internalPort = internalPort ?? free.shift();
    }
    // The readiness probe speaks plain Kafka protocol: in SASL_SSL mode it asks the inter-broker listener.
    const probePort = secure ? internalPort : port;

    const saslSslState = secure ? await prepareSaslSsl(dataDir) : undefined;
    const propsFile = path.join(dataDir, 'server.properties');
    const saslSsl = secure ? { state: saslSslState, internalPort, clientAuth } : undefined;
    fs.writeFileSync(propsFile, serverProperties({ dataDir, port, controllerPort, saslSsl }));

    // An existing meta.properties means the dir was formatted before (restart): keep its cluster id.
    const clusterId = fs.existsSync(metaPropertiesFile(dataDir))
      ? readClusterId(dataDir)
      : await formatStorage({ libsDir, dataDir, propsFile, log, extraArgs: secure ? scramFormatArgs(saslSslState) : [] });

    const startedAt = Date.now();
    const outFile = path.join(dataDir, 'kafka.out');
    const outFd = fs.openSync(outFile, 'a');
    fs.writeSync(outFd, `=== ${new Date().toISOString()} starting kafka ${KAFKA_VERSION} on ${HOST}:${port}${secure ? ' (SASL_SSL)' : ''} ===\n`);
    let child;
    try {
      child = spawn(javaBin(), [...jvmArgs(libsDir, dataDir, ['-Xms256m', '-Xmx512m']), 'kafka.Kafka', propsFile], {
        cwd: dataDir,
        stdio: ['ignore', outFd, outFd],
        detached: false, // same process group: a terminal Ctrl-C reaches the broker too
      });
    } finally {
      fs.closeSync(outFd); // the child has its own copy
    }

    let exitInfo = null;
    const exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        exitInfo = { code, signal };
        liveChildren.delete(child);
        if (liveChildren.size === 0) uninstallHooks();
        resolve(exitInfo);
      });
    });
    const spawnError = new Promise((_, reject) => child.once('error', reject));
    spawnError.catch(() => {}); // only observed during startup
    liveChildren.set(child, ownsDataDir ? dataDir : null);
    installHooks();

    try {
      await waitUntilReady({ child, port: probePort, clusterId, exited, spawnError, readyTimeoutMs });
    } catch (err) {
      if (!exitInfo && child.pid !== undefined) {
        child.kill('SIGKILL');
        await exited;
      }
      // Only matters when spawning itself failed (no 'exit' event then).
      liveChildren.delete(child);
      if (liveChildren.size === 0) uninstallHooks();
      const tails = logTails(dataDir);
      const e = new Error(`${err.message}\n${tails}`);
      e.portInUse = /Address already in use|BindException/.test(tails);
      throw e;
    }

    const startupMs = Date.now() - startedAt;
    log(`kafka ${KAFKA_VERSION} ready on ${HOST}:${port}${secure ? ' (SASL_SSL)' : ''} (pid ${child.pid}, ${startupMs} ms, data ${dataDir})`);

    let stopping = null;
    const stop = ({ keepData = false } = {}) => {
      stopping ??= (async () => {
        if (!exitInfo) {
          child.kill('SIGTERM');
          const timedOut = await Promise.race([
            exited.then(() => false),
            new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS, true).unref()),
          ]);
          if (timedOut) {
            log(`broker pid ${child.pid} ignored SIGTERM for ${STOP_TIMEOUT_MS / 1000} s; sending SIGKILL`);
            child.kill('SIGKILL');
            await exited;
          }
        }
        if (ownsDataDir && !keepData) {
          ownedDataDirs.delete(dataDir);
          fs.rmSync(dataDir, { recursive: true, force: true });
        }
      })();
      return stopping;
    };

    const restart = async () => {
      await stop({ keepData: true });
      return startLocalKafka({ dataDir, port, controllerPort, internalPort, log, readyTimeoutMs, security, clientAuth });
    };

    return {
      brokers: `${HOST}:${port}`,
      port,
      controllerPort,
      ...(secure ? { internalPort, security: clientSecurity(saslSslState, clientAuth) } : {}),
      pid: child.pid,
      dataDir,
      clusterId,
      startupMs,
      exited,
      stop,
      restart,
    };
  } catch (err) {
    cleanupCreated();
    throw err;
  }
}

async function waitUntilReady({ child, port, clusterId, exited, spawnError, readyTimeoutMs }) {
  const deadline = Date.now() + readyTimeoutMs;
  let lastProblem = 'no attempt yet';
  const died = exited.then(({ code, signal }) => {
    throw new Error(`kafka broker (pid ${child.pid}) exited during startup (code ${code}, signal ${signal})`);
  });
  died.catch(() => {});
  const fatal = Promise.race([died, spawnError]);
  fatal.catch(() => {}); // the broker may die long after startup; that's not this function's business

  while (Date.now() < deadline) {
    const attempt = (async () => {
      const remaining = deadline - Date.now();
      try {
        const md = await fetchMetadata({ port, topics: [], timeoutMs: Math.max(250, Math.min(3000, remaining)) });
        if (md.clusterId !== clusterId) return `cluster id ${md.clusterId} != ${clusterId} (another broker on the port?)`;
        // The broker only lists itself once it is registered and unfenced by the controller.
        if (!md.brokers.some((b) => b.nodeId === NODE_ID && b.port === port)) return 'broker not yet registered/unfenced';
        return null;
      } catch (err) {
        return err.message;
      }
    })();
    const problem = await Promise.race([attempt, fatal]);
    if (problem === null) return;
    lastProblem = problem;
    await Promise.race([new Promise((r) => setTimeout(r, READY_POLL_MS)), fatal]);
  }
  throw new Error(`kafka broker not ready after ${readyTimeoutMs / 1000} s (last probe: ${lastProblem})`);
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

function parseFlags(argv) {
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument: ${argv[i]}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined || value.startsWith('--')) throw new Error(`missing value for --${m[1]}`);
    flags[m[1]] = value;
  }
  return flags;
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === 'fetch') {
    const started = Date.now();
    const { libsDir } = await ensureKafkaJars();
    defaultLog(`jars ready in ${libsDir} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return;
  }
  if (command !== 'start') {
    process.stderr.write('usage: local-kafka.js fetch | start [--data-dir DIR] [--port N] [--controller-port N] [--security sasl_ssl [--client-auth required]]\n');
    process.exitCode = 2;
    return;
  }

  const flags = parseFlags(rest);
  const toPort = (v) => {
    if (v == null) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`invalid port: ${v}`);
    return n;
  };
  const kafka = await startLocalKafka({
    dataDir: flags['data-dir'],
    port: toPort(flags.port),
    controllerPort: toPort(flags['controller-port']),
    security: flags.security,
    clientAuth: flags['client-auth'],
  });
  process.stdout.write(
    JSON.stringify({
      brokers: kafka.brokers,
      pid: kafka.pid,
      port: kafka.port,
      controllerPort: kafka.controllerPort,
      dataDir: kafka.dataDir,
      ...(kafka.security ? { security: kafka.security } : {}),
    }) + '\n',
  );

  let shuttingDown = false;
  const shutdown = async (signal) => {
    if (shuttingDown) {
      defaultLog(`second ${signal}: killing broker now`);
      process.exit(130); // the 'exit' hook SIGKILLs the broker
    }
    shuttingDown = true;
    defaultLog(`${signal}: stopping broker`);
    await kafka.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  const { code, signal } = await kafka.exited;
  if (!shuttingDown) {
    defaultLog(`broker exited unexpectedly (code ${code}, signal ${signal})\n${logTails(kafka.dataDir)}`);
    process.exit(1);
  }
}

module.exports = { KAFKA_VERSION, ensureKafkaJars, startLocalKafka, fetchMetadata };

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    defaultLog(err && err.stack ? err.stack : String(err));
    process.exit(1);
  });
}
