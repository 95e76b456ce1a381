// Types for local-kafka.js (CommonJS), so TypeScript tests can import it without allowJs.

export type LogFn = (msg: string) => void;

export declare const KAFKA_VERSION: string;

/** Downloads the Kafka jars into the cache (via Maven) unless already complete. */
export declare function ensureKafkaJars(opts?: { log?: LogFn | false }): Promise<{ libsDir: string }>;

export interface StartOptions {
  /** Reused as-is if already formatted (restart); default: a fresh temp dir, deleted by stop(). */
  dataDir?: string;
  /** Fixed PLAINTEXT port (for restarts); default: a free loopback port. */
  port?: number;
  /** Fixed KRaft controller port (for restarts); default: a free loopback port. */
  controllerPort?: number;
  /** Progress logger; default writes to stderr, false silences it. */
  log?: LogFn | false;
  /** Default 90000. */
  readyTimeoutMs?: number;
  /** 'sasl_ssl': `port` is a SASL_SSL listener (test CA made with openssl; PLAIN, SCRAM-SHA-256, SCRAM-SHA-512). Default 'plaintext'. */
  security?: 'plaintext' | 'sasl_ssl';
  /** With 'sasl_ssl': 'required' makes the broker demand a client certificate signed by the test CA. Default 'none'. */
  clientAuth?: 'none' | 'required';
  /** With 'sasl_ssl': fixed port of the PLAINTEXT inter-broker listener (for restarts); default: a free loopback port. */
  internalPort?: number;
}

/** What a client needs to reach a 'sasl_ssl' broker: PEM files of the test CA and a client certificate, and one user. */
export interface LocalKafkaSecurity {
  protocol: 'SASL_SSL';
  caFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  clientAuth: 'none' | 'required';
  username: string;
  password: string;
  mechanisms: ('plain' | 'scram-sha-256' | 'scram-sha-512')[];
}

export interface LocalKafka {
  /** "127.0.0.1:<port>" */
  brokers: string;
  port: number;
  controllerPort: number;
  /** 'sasl_ssl' only: the PLAINTEXT inter-broker listener (the readiness probe's). */
  internalPort?: number;
  /** 'sasl_ssl' only. */
  security?: LocalKafkaSecurity;
  pid: number;
  dataDir: string;
  clusterId: string;
  /** Spawn-to-ready time of the broker JVM. */
  startupMs: number;
  /** Resolves when the broker process exits (for whatever reason). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, SIGKILL after 15 s; deletes the data dir if this module created it, unless keepData. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
  /** stop({ keepData: true }) then start again on the same ports and data dir. */
  restart(): Promise<LocalKafka>;
}

export declare function startLocalKafka(opts?: StartOptions): Promise<LocalKafka>;

export interface MetadataResponse {
  throttleTimeMs: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
  clusterId: string | null;
  controllerId: number;
  topics: {
    errorCode: number;
    name: string;
    isInternal: boolean;
    partitions: { errorCode: number; partition: number; leader: number; replicas: number[] | null; isr: number[] | null }[] | null;
  }[];
}

/** One Metadata v4 request over a fresh connection. topics: null = all (default), [] = none. */
export declare function fetchMetadata(opts: {
  host?: string;
  port: number;
  topics?: string[] | null;
  timeoutMs?: number;
}): Promise<MetadataResponse>;
