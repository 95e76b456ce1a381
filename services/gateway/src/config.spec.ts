// Where the distributed gateway serves /metrics (issue 15): on PORT by default (SPEC §8), also on
// METRICS_PORT when set, never nowhere.
import { ConfigError, parseConfig } from '@pp/platform';
import { describe, expect, it } from 'vitest';
import { gatewayEnvSchema, gatewayMetricsEnv, metricsListeners } from './config';

const parse = (env: Record<string, string>) => metricsListeners(parseConfig(gatewayEnvSchema.extend(gatewayMetricsEnv), env));

describe('metricsListeners', () => {
  it('SPEC §9 environment only: /metrics on the API port, no other listener', () => {
    expect(parse({})).toEqual({ onApiPort: true });
  });

  it('METRICS_PORT adds a listener; METRICS_ON_API_PORT=false takes it off the API port', () => {
    expect(parse({ METRICS_PORT: '9464' })).toEqual({ onApiPort: true, port: 9464 });
    expect(parse({ METRICS_PORT: '9464', METRICS_ON_API_PORT: 'false' })).toEqual({ onApiPort: false, port: 9464 });
    expect(parse({ METRICS_PORT: '0', METRICS_ON_API_PORT: 'false' })).toEqual({ onApiPort: false, port: 0 });
  });

  it('refuses a configuration that serves /metrics nowhere, and bad values, naming the variable', () => {
    expect(() => parse({ METRICS_ON_API_PORT: 'false' })).toThrow(/METRICS_ON_API_PORT: false needs METRICS_PORT/);
    expect(() => parse({ METRICS_PORT: '70000' })).toThrow(ConfigError);
    expect(() => parse({ METRICS_PORT: 'nine' })).toThrow(/METRICS_PORT: must be a port number/);
    expect(() => parse({ METRICS_PORT: '9464', METRICS_ON_API_PORT: 'no' })).toThrow(/METRICS_ON_API_PORT: must be true or false/);
  });
});
