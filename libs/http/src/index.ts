export { createHttpApp, listen, logLevels } from './http-app';
