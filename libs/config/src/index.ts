export { AppConfig, ConfigValidationError, validateConfig } from './app-config';
export { AppConfigModule } from './config.module';
