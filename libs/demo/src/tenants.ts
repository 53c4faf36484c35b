/** The demo tenants: one per kind of customer the reports were written for. */
export interface DemoTenant {
  tenant_id: string;
  name: string;
  time_zone: string;
  /** Share of the generated events. */
  share: number;
}

export const DEMO_TENANTS: readonly DemoTenant[] = [
  { tenant_id: 'maple-valley-sd', name: 'Maple Valley School District', time_zone: 'America/New_York', share: 0.35 },
  { tenant_id: 'nordlicht-moda', name: 'Nordlicht Moda GmbH', time_zone: 'Europe/Berlin', share: 0.45 },
  { tenant_id: 'himal-mobile', name: 'Himal Mobile', time_zone: 'Asia/Kathmandu', share: 0.2 },
];

export const DISTRICT = DEMO_TENANTS[0];
export const BRAND = DEMO_TENANTS[1];
export const KATHMANDU = DEMO_TENANTS[2];

export const SCHOOLS = [
  'lincoln-elementary',
  'jefferson-elementary',
  'oak-hill-elementary',
  'washington-middle',
  'riverside-middle',
  'roosevelt-high',
  'adams-high',
  'district-office',
] as const;

export const NEWSGROUPS = [
  'athletics',
  'pta',
  'board-meetings',
  'lunch-menu',
  'weather-closures',
  'band-and-arts',
  'transportation',
] as const;

/** Where a district notice was published (the "interface" of the publishing reports). */
export const INTERFACES = ['website', 'mobile-app', 'email-digest'] as const;

export const BRAND_CAMPAIGNS = [
  'autumn-sale',
  'black-week',
  'loyalty-club',
  'weekly-newsletter',
  'new-collection',
  'cart-reminder',
  'app-onboarding',
  'winback',
] as const;

export const PUSH_CAMPAIGNS = [
  'data-pack-offer',
  'festival-greetings',
  'bill-reminder',
  'app-update',
  'recharge-bonus',
] as const;

export const SOCIAL_PLATFORMS = ['facebook', 'twitter', 'whatsapp'] as const;
