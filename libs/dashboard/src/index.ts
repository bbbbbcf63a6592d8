export * from './dashboard.app';
