export { MetricsService } from './metrics.service';
export { HealthService, type HealthCheck } from './health.service';
export { ObservabilityModule } from './observability.module';
