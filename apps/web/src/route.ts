import { useEffect, useState } from 'react';

/**
 * The page's place and filters live in the hash (`#/reports/account-usage?from=…`), so a view can be
 * bookmarked and shared. The key never goes here.
 */
export interface Route {
  path: string;
  query: URLSearchParams;
}

export function parseRoute(hash: string = window.location.hash): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const [path, qs = ''] = raw.split('?', 2);
  return { path: path || '/', query: new URLSearchParams(qs) };
}

export function routeHref(path: string, query: Record<string, string> = {}): string {
  const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '')).toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

/** Replaces the filters in the URL without adding a history entry for every keystroke. */
export function replaceQuery(path: string, query: Record<string, string>): void {
  const href = routeHref(path, query);
  if (href !== window.location.hash) {
    history.replaceState(null, '', href);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute());
  useEffect(() => {
    const update = () => setRoute(parseRoute());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
