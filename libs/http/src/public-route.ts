import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'tallyhouse:public';

/**
 * A route that needs no API key: health and metrics (probes and scrapers carry
 * none), a signed link (its signature is its authorisation). The auth guard
 * decides by this mark on the handler the router chose, never by the path as
 * spelled, so every other route is closed however its path is written.
 */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
