export { DemoModule } from './demo.module';
export { DemoLoader, type DemoLoadProgress, type DemoLoadResult } from './demo.loader';
export {
  generateDemoEvents,
  generateDemoNdjson,
  DEFAULT_DEMO_SEED,
  type DemoEvent,
  type DemoOptions,
} from './generator';
export { DEMO_TENANTS, type DemoTenant } from './tenants';
export { Prng } from './prng';
export { DemoKeys } from './demo-keys';
