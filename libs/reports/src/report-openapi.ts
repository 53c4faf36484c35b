import type { OpenAPIObject } from '@nestjs/swagger';
import { REPORTS } from './report-catalog';
import type { ReportDefinition } from './report-definition';
import type { ReportParams } from './report-params';

/** One query parameter of a report, as GET /v1/reports lists it and Swagger shows it. */
export interface ReportParameter {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean';
  required: boolean;
  description?: string;
  enum?: (string | number)[];
  default?: string | number;
}

// The metadata keys @nestjs/swagger's @ApiProperty writes (its DECORATORS constants).
const PROPERTIES = 'swagger/apiModelPropertiesArray';
const PROPERTY = 'swagger/apiModelProperties';

interface PropertyMetadata {
  type?: unknown;
  required?: boolean;
  description?: string;
  enum?: (string | number)[];
  default?: string | number;
}

/**
 * A report's parameters, read from the @ApiProperty decorators of its DTO:
 * one source for validation, the catalogue and the API docs.
 */
export function reportParameters(def: ReportDefinition<ReportParams>): ReportParameter[] {
  const proto = def.params.prototype as object;
  const keys = (Reflect.getMetadata(PROPERTIES, proto) as string[] | undefined) ?? [];
  const params = keys.map((key) => {
    const name = key.slice(1);
    const meta = (Reflect.getMetadata(PROPERTY, proto, name) as PropertyMetadata | undefined) ?? {};
    const param: ReportParameter = {
      name,
      type: typeName(meta.type),
      required: meta.required !== false,
    };
    if (meta.description) param.description = meta.description;
    if (meta.enum) param.enum = meta.enum;
    if (meta.default !== undefined) param.default = meta.default;
    if (name === 'group_by') {
      param.enum = [...def.groupBy];
      if (def.groupBy.length === 0) return null;
    }
    return param;
  });
  return params.filter((p): p is ReportParameter => p !== null);
}

function typeName(type: unknown): ReportParameter['type'] {
  if (type === Number || type === 'number') return 'number';
  if (type === 'integer') return 'integer';
  if (type === Boolean || type === 'boolean') return 'boolean';
  return 'string';
}

/**
 * Adds one documented path per report to the OpenAPI document, with its own
 * parameters, so Swagger UI shows each report's form (the controller serves
 * them all through GET /v1/reports/{name}).
 */
export function addReportPaths(document: OpenAPIObject, reports = REPORTS): OpenAPIObject {
  for (const def of reports) {
    const parameters = [
      ...reportParameters(def).map((p) => ({
        name: p.name,
        in: 'query' as const,
        required: p.required,
        description: p.description,
        schema: {
          type: p.type,
          ...(p.enum ? { enum: p.enum } : {}),
          ...(p.default !== undefined ? { default: p.default } : {}),
        },
      })),
      {
        name: 'format',
        in: 'query' as const,
        required: false,
        description: 'json (default) or csv; or send Accept: text/csv',
        schema: { type: 'string' as const, enum: ['json', 'csv'], default: 'json' },
      },
    ];
    document.paths[`/v1/reports/${def.name}`] = {
      get: {
        tags: ['reports'],
        operationId: `report_${def.name.replace(/-/g, '_')}`,
        summary: def.title,
        description: `${def.description}\n\nFrom the reference: ${def.reference}.`,
        parameters,
        responses: {
          '200': {
            description: 'The report: columns with types and descriptions, and rows (or CSV)',
            content: { 'application/json': {}, 'text/csv': {} },
          },
          '400': { description: 'A bad parameter: { statusCode, field, message }' },
        },
      },
    };
  }
  return document;
}
