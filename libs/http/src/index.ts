export { createHttpApp, listen, logLevels } from './http-app';
export { parseJsonBody } from './json-body';
export { WebPageModule, WEB_DIST_DIR } from './web-page.module';
export { Public, PUBLIC_ROUTE } from './public-route';
