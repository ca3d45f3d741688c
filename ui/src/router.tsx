import type { ComponentChildren } from 'preact';
import { createStore, useStore } from './lib/store';

/**
 * History-API routing under /ui/: every page has a real URL (shareable, reloadable; the gateway
 * answers index.html for any page path), and Back/Forward work.
 */
export const BASE = '/ui';

export interface Location {
  /** Path below /ui, starting with '/'. */
  path: string;
  query: URLSearchParams;
}

const read = (): Location => {
  const p = window.location.pathname;
  const path = p.startsWith(`${BASE}/`) ? p.slice(BASE.length) : '/';
  return { path, query: new URLSearchParams(window.location.search) };
};

const location = createStore<Location>(read());
window.addEventListener('popstate', () => location.set(read()));

export const useLocation = (): Location => useStore(location);
export const currentLocation = (): Location => location.get();

/** `to` is a path below /ui (with an optional query string). */
export const navigate = (to: string, opts: { replace?: boolean } = {}): void => {
  const url = `${BASE}${to}`;
  if (url === window.location.pathname + window.location.search) return;
  if (opts.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  location.set(read());
  if (!opts.replace) window.scrollTo(0, 0);
};

/** The same path with some query parameters changed (empty values removed). */
export const withQuery = (loc: Location, changes: Record<string, string | undefined>): string => {
  const q = new URLSearchParams(loc.query);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  return s ? `${loc.path}?${s}` : loc.path;
};

interface AnchorProps {
  href: string;
  children?: ComponentChildren;
  class?: string;
  title?: string;
  'aria-current'?: 'page' | undefined;
  'aria-label'?: string;
}

/** An ordinary link (open in a new tab works) that navigates in place on a plain click. */
export const Link = ({ href, children, ...rest }: AnchorProps) => (
  <a
    {...rest}
    href={`${BASE}${href}`}
    onClick={(e) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(href);
    }}
  >
    {children}
  </a>
);
