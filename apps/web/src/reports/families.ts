import type { Row } from '../api/types';

/** The report pages: one per reference document, each showing one or more reports of the API. */
export interface ReportFamily {
  slug: string;
  title: string;
  /** Report names from GET /v1/reports; the first is shown unless the URL picks another. */
  reports: string[];
  /** Filters the page starts with when the URL names none (the reference's usual view). */
  defaults?: Record<string, string>;
  /** A summary row's link to a closer view: the column linked and the filters it sets. */
  drillDown?: { report: string; column: string; params: (row: Row) => Record<string, string> };
}

export const REPORT_FAMILIES: ReportFamily[] = [
  {
    slug: 'campaigns',
    title: 'Campaign performance',
    reports: ['campaign-performance'],
    // As in the reference: a campaign opens its figures day by day.
    drillDown: {
      report: 'campaign-performance',
      column: 'id',
      params: (row) => ({ campaign: String(row.id), view: 'daily' }),
    },
  },
  { slug: 'usage', title: 'Account usage', reports: ['account-usage'], defaults: { group_by: 'platform' } },
  { slug: 'touch', title: 'Customer touch', reports: ['customer-touch'] },
  { slug: 'sales', title: 'Contacts and sales', reports: ['contacts-and-sales'] },
  {
    slug: 'district',
    title: 'District reports',
    reports: ['district-new-users', 'district-sign-ins', 'district-newsgroups', 'district-publishing'],
    defaults: { interval: 'week' },
  },
  { slug: 'cohorts', title: 'Cohorts', reports: ['cohorts'], defaults: { interval: 'week' } },
];
