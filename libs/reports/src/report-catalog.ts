import { AccountUsageReport } from './account-usage/account-usage.report';
import { CampaignPerformanceReport } from './campaign-performance/campaign-performance.report';
import { CohortsReport } from './cohorts/cohorts.report';
import { ContactsAndSalesReport } from './contacts-and-sales/contacts-and-sales.report';
import { CustomerTouchReport } from './customer-touch/customer-touch.report';
import {
  DistrictNewsgroupsReport,
  DistrictNewUsersReport,
  DistrictPublishingReport,
  DistrictSignInsReport,
} from './district/district.reports';
import type { ReportDefinition } from './report-definition';
import type { ReportParams } from './report-params';

/** Every report, by name: the list GET /v1/reports serves and the CLI runs. */
export const REPORTS: readonly ReportDefinition<ReportParams>[] = [
  CampaignPerformanceReport,
  AccountUsageReport,
  CustomerTouchReport,
  ContactsAndSalesReport,
  CohortsReport,
  DistrictNewUsersReport,
  DistrictSignInsReport,
  DistrictNewsgroupsReport,
  DistrictPublishingReport,
];

export function findReport(name: string): ReportDefinition<ReportParams> | undefined {
  return REPORTS.find((r) => r.name === name);
}
