export { createHttpApp, listen, logLevels } from './http-app';
export { WebPageModule, WEB_DIST_DIR } from './web-page.module';
