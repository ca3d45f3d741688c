import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's chromium (`.ci/run` installs it when missing), driven by playwright-core, which
 * never downloads a browser of its own. CHROMIUM overrides the path.
 */
export const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';

/** Quiet, offline, reproducible: no sandbox (CI runs as root), no GPU, no background traffic. */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Headless chromium; playwright gives every launch a fresh, temporary --user-data-dir. */
export const launchBrowser = async (): Promise<Browser> => {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`no browser at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
};

/** Where the browser tests leave their screenshots (git-ignored). */
export const ARTIFACTS = path.resolve(__dirname, '../../artifacts/ui');

export const screenshot = async (page: Page, name: string): Promise<string> => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
};

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown; failureSummary?: string }>;
}

/**
 * axe-core's serious and critical violations on the page as it is now. The script is evaluated
 * through the DevTools protocol, not added as a <script>: the UI's CSP (rightly) refuses inline
 * script, and the check must not weaken it.
 */
export const axeSerious = async (page: Page): Promise<AxeViolation[]> => {
  await page.evaluate(AXE_SOURCE);
  // A string, evaluated in the page: the test's own TypeScript has no DOM types.
  const violations = (await page.evaluate(`axe
    .run(document, { resultTypes: ['violations'] })
    .then((r) => r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    })))`)) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
};
