// Starts PostgreSQL + Kafka once for the whole integration run and hands their addresses to tests.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { provisionInfra, type Infra } from '@pp/testing';
import type { TestProject } from 'vitest/node';

let infra: Infra | undefined;
let control: http.Server | undefined;

/** A loopback control endpoint so fault tests can restart the shared Kafka broker: POST /kafka/restart. */
async function startControl(target: Infra): Promise<string> {
  let restarting: Promise<void> | undefined;
  control = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/kafka/restart') return void res.writeHead(404).end();
    restarting ??= target.restartKafka().finally(() => (restarting = undefined));
    restarting.then(
      () => res.writeHead(204).end(),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => control!.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
}

export async function setup(project: TestProject): Promise<void> {
  infra = await provisionInfra((line) => process.stdout.write(`[infra] ${line}\n`));
  process.stdout.write(`[infra] mode=${infra.mode} postgres=${infra.databaseUrl.replace(/\/\/[^@]*@/, '//')} kafka=${infra.kafkaBrokers}\n`);
  project.provide('databaseUrl', infra.databaseUrl);
  project.provide('kafkaBrokers', infra.kafkaBrokers);
  project.provide('infraMode', infra.mode);
  project.provide('infraControlUrl', await startControl(infra));
}

export async function teardown(): Promise<void> {
  await new Promise<void>((resolve) => (control ? control.close(() => resolve()) : resolve()));
  await infra?.stop();
}
