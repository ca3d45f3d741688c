import type { ServerResponse as Response } from 'node:http';
import { detectContentType } from './sniff';

/**
 * Headers of Nomad's untrusted-content writer (docs/wire.md, "Allocation files"), set only when there is content:
 * a sandboxing CSP, nosniff, and the sniffed type with any HTML flavour downgraded to exactly
 * `text/plain` so a browser never renders task output as a page.
 */
export const setUntrustedHeaders = (res: Response, firstBytes: Buffer): void => {
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-XSS-Protection', '1; mode=block');
  res.setHeader('Content-Type', safeContentType(detectContentType(firstBytes)));
};

export const safeContentType = (sniffed: string): string =>
  /^text\/(html|xhtml|xhtml\+xml)/.test(sniffed) ? 'text/plain' : sniffed;

/** An empty cat/readat body: no security headers, Go's sniff of nothing. */
export const EMPTY_CONTENT_TYPE = 'text/plain; charset=utf-8';
