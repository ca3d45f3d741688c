import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type Response } from 'express';
import { errors } from '../errors';

/** Where the web UI lives on the gateway (same origin as the API it calls: no CORS needed). */
export const UI_PATH = '/ui/';

/**
 * A strict policy: scripts and styles only from the gateway's own files (no inline script, no
 * eval), data only from the same origin, images also from blob: URLs (the file browser previews
 * images it fetched with the token, which an <img src> could not send), and never framed.
 */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders = (res: Response): void => {
  res.set({
    'Content-Security-Policy': UI_CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    // Files keep their names across builds: revalidate every time (Last-Modified makes it cheap).
    'Cache-Control': 'no-cache',
  });
};

/**
 * `npm run build` writes the bundle to `dist/ui/`. From `dist/router/` that is `../ui`; from the
 * TypeScript sources (jest runs `src/` directly) it is `../../dist/ui`.
 */
const defaultUiDir = (): string => {
  const candidates = [path.resolve(__dirname, '../ui'), path.resolve(__dirname, '../../dist/ui')];
  return candidates.find((d) => fs.existsSync(path.join(d, 'index.html'))) ?? candidates[0]!;
};

/**
 * Serves the single-page UI under `/ui/`: the built files as they are, and `index.html` for any
 * other extension-less path below it, so every page has its own URL that survives a reload.
 */
export const uiStatic = (dir: string = defaultUiDir()): Router => {
  const r = Router({ strict: true, caseSensitive: true });
  const index = path.join(dir, 'index.html');
  r.use('/ui', (_req, res, next) => {
    securityHeaders(res);
    next();
  });
  r.get('/ui', (_req, res) => res.redirect(302, UI_PATH));
  r.use('/ui', express.static(dir, { index: false, redirect: false, dotfiles: 'ignore' }));
  r.get('/ui/{*page}', (req, res) => {
    // A missing asset (a name with an extension) is a 404, never the page in its place.
    if (path.posix.extname(req.path) !== '') throw errors.notFound();
    if (!fs.existsSync(index)) throw errors.uiNotBuilt();
    res.sendFile(index, { headers: { 'Content-Type': 'text/html; charset=utf-8' } });
  });
  return r;
};
