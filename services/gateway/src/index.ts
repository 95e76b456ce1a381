export { gatewayEnvSchema, type GatewayConfig } from './config';
export { startGateway, type GatewayDeps } from './service';
