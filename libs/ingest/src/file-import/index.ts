export { FileImportModule } from './file-import.module';
export {
  FileImporter,
  ImportUsageError,
  type ImportFormat,
  type ImportOptions,
  type ImportProgress,
  type ImportSummary,
  type ImportError,
} from './file-importer';
