export { RollupsModule } from './rollups.module';
