// The HTTP side of webhooks: destination policy (SSRF), Standard Webhooks signatures, and one POST
// pinned to the address that passed the policy, with a timeout and no redirects followed.
import { createHmac, randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { BlockList, isIP } from 'node:net';

export interface DestinationPolicy {
  readonly allowInsecure: boolean;
  readonly allowPrivate: boolean;
}

// Addresses a webhook may never reach unless WEBHOOK_ALLOW_PRIVATE: loopback, private, link-local
// (cloud metadata), shared, benchmark, documentation, multicast and reserved ranges of IPv4 and IPv6.
// Two lists: a BlockList matches IPv4 addresses against IPv4-mapped IPv6 rules too.
const NON_PUBLIC_V4 = new BlockList();
const NON_PUBLIC_V6 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NON_PUBLIC_V4.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 96] /* unspecified, loopback and IPv4-compatible ::a.b.c.d */,
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  NON_PUBLIC_V6.addSubnet(net, prefix, 'ipv6');

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    // An IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return !NON_PUBLIC_V4.check(mapped[1], 'ipv4');
    if (/^::ffff:/i.test(address)) return false; // other spellings of mapped addresses: refuse
    return !NON_PUBLIC_V6.check(address, 'ipv6');
  }
  return !NON_PUBLIC_V4.check(address, 'ipv4');
}

export class DestinationRefused extends Error {}

export interface CheckedUrl {
  readonly url: URL;
  /** the address the request must connect to; undefined when the name could not be resolved */
  readonly address?: { address: string; family: number };
}

/** Checks the URL's form and every address its host resolves to; a host that does not resolve is refused. */
export async function checkDestination(raw: string, policy: DestinationPolicy, resolve = true): Promise<CheckedUrl> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DestinationRefused('url: must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(policy.allowInsecure && url.protocol === 'http:'))
    throw new DestinationRefused(policy.allowInsecure ? 'url: must be http or https' : 'url: must use https');
  if (url.username || url.password) throw new DestinationRefused('url: must not contain credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    if (!policy.allowPrivate && !isPublicAddress(host)) throw new DestinationRefused('url: must resolve to a public address');
    return { url, address: { address: host, family: isIP(host) } };
  }
  if (!resolve) return { url };
  if (host === 'localhost' || host.endsWith('.localhost')) {
    if (!policy.allowPrivate) throw new DestinationRefused('url: must resolve to a public address');
  }
  let addresses: { address: string; family: number }[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch (error) {
    // Refused at registration as at delivery: a destination that does not resolve cannot be checked.
    const code = (error as { code?: string }).code;
    throw new DestinationRefused(
      `url: the host name ${host} does not resolve${code === 'ENOTFOUND' || code === 'ENODATA' ? '' : ' right now (try again later)'}`,
    );
  }
  if (!policy.allowPrivate && addresses.some((a) => !isPublicAddress(a.address))) throw new DestinationRefused('url: must resolve to a public address');
  return { url, address: addresses[0] };
}

export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Standard Webhooks: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>, key = base64 after whsec_. */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** How much of a receiver's answer the delivery history keeps. */
export const EXCERPT_BYTES = 1024;

/** The start of an answer as text ('' stays ''), control characters but newlines and tabs dropped. */
export function excerpt(bytes: Buffer): string {
  return bytes
    .toString('utf8')
    .replace(/\uFFFD+$/, '')
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '');
}

export interface PostResult {
  readonly status?: number;
  /** the first EXCERPT_BYTES of the receiver's answer, when it answered */
  readonly responseExcerpt?: string;
  readonly error?: string;
  readonly latencyMs: number;
}

/**
 * POSTs `body` to `url`, resolving and checking the destination again and connecting only to the
 * checked address (no second lookup between the check and the connection). Never throws.
 */
export async function postWebhook(
  target: string,
  body: string,
  headers: Record<string, string>,
  policy: DestinationPolicy,
  timeoutMs: number,
): Promise<PostResult> {
  const started = Date.now();
  let checked: CheckedUrl;
  try {
    checked = await checkDestination(target, policy);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), latencyMs: Date.now() - started };
  }
  const pinned = checked.address;
  if (!pinned) return { error: `could not resolve ${checked.url.hostname}`, latencyMs: Date.now() - started };
  const { url } = checked;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const done = (r: Omit<PostResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, latencyMs: Date.now() - started });
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'partner-payments-webhooks/1', ...headers },
        agent: false,
        lookup: (_host, options, callback) => {
          if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
          else callback(null, pinned.address, pinned.family);
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        // Read (and cap) the answer so the socket closes cleanly; its first bytes are kept for the
        // delivery history (GET /webhooks/events/{id}/attempts).
        let size = 0;
        const head: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          if (size < EXCERPT_BYTES) head.push(chunk.subarray(0, EXCERPT_BYTES - size));
          size += chunk.length;
          if (size > 64 * 1024) res.destroy();
        });
        const finish = () => done({ status, responseExcerpt: excerpt(Buffer.concat(head)) });
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (error) => done({ error: error.message }));
    req.end(body);
  });
}
