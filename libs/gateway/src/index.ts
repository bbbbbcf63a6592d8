export * from './gateway.app';
export * from './proxy/service-proxy';
export { authMigrations as gatewayMigrations } from '@llmp/auth';
