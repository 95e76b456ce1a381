#!/usr/bin/env node
// pp-client listen --forward-to http://localhost:8080/hook [--base-url URL] [--api-key KEY] [--test]
//   [--secret whsec_…] [--last-event-id POSITION]
// Environment: PP_BASE_URL (default http://localhost:3000), PP_API_KEY.
import { listen, ListenRefused, newSigningSecret } from './listen';

const USAGE = `usage: pp-client listen --forward-to <url> [--base-url <url>] [--api-key <key>] [--test] [--secret <whsec_…>] [--last-event-id <position>]
  environment: PP_BASE_URL (default http://localhost:3000), PP_API_KEY`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse(argv: string[]) {
  const [command, ...rest] = argv;
  if (command !== 'listen') fail(command ? `unknown command ${command}` : 'no command');
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) fail(`unexpected ${arg}`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (name === 'test') flags.test = true;
    else flags[name] = inline ?? rest[++i] ?? fail(`--${name} needs a value`);
  }
  for (const name of Object.keys(flags))
    if (!['forward-to', 'base-url', 'api-key', 'test', 'secret', 'last-event-id'].includes(name)) fail(`unknown option --${name}`);
  const forwardTo = flags['forward-to'];
  if (typeof forwardTo !== 'string') fail('--forward-to is required');
  const apiKey = (flags['api-key'] as string | undefined) ?? process.env.PP_API_KEY;
  if (!apiKey) fail('an API key is required: --api-key or PP_API_KEY');
  const secret = (flags.secret as string | undefined) ?? newSigningSecret();
  if (!secret.startsWith('whsec_')) fail('--secret must start with whsec_');
  return {
    forwardTo,
    apiKey,
    secret,
    baseUrl: (flags['base-url'] as string | undefined) ?? process.env.PP_BASE_URL ?? 'http://localhost:3000',
    testMode: flags.test === true,
    lastEventId: flags['last-event-id'] as string | undefined,
  };
}

const options = parse(process.argv.slice(2));
const abort = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => abort.abort());
process.stdout.write(
  `Forwarding the ${options.testMode ? 'test' : 'production'} events of ${options.baseUrl} to ${options.forwardTo}\n` +
    `Your webhook signing secret is ${options.secret} (verify with verifyWebhook of @pp/client, or any Standard Webhooks library)\n`,
);
listen({ ...options, signal: abort.signal, log: (line) => process.stdout.write(`${line}\n`) }).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof ListenRefused ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
