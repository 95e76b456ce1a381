// Starts PostgreSQL + Kafka once for the whole integration run and hands their addresses to tests.
import { provisionInfra, type Infra } from '@pp/testing';
import type { TestProject } from 'vitest/node';

let infra: Infra | undefined;

export async function setup(project: TestProject): Promise<void> {
  infra = await provisionInfra((line) => process.stdout.write(`[infra] ${line}\n`));
  process.stdout.write(`[infra] mode=${infra.mode} postgres=${infra.databaseUrl.replace(/\/\/[^@]*@/, '//')} kafka=${infra.kafkaBrokers}\n`);
  project.provide('databaseUrl', infra.databaseUrl);
  project.provide('kafkaBrokers', infra.kafkaBrokers);
  project.provide('infraMode', infra.mode);
}

export async function teardown(): Promise<void> {
  await infra?.stop();
}
