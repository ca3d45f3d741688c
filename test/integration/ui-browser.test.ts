import { randomBytes } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { axeSerious, launchBrowser, screenshot } from '../helpers/browser';
import { startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { startRedis, type RedisServer } from '../helpers/redis';
import { seedAlloc, type SeededAlloc } from '../helpers/seed-alloc';
import { tmpDir } from '../helpers/tmp';
import { runCli, waitFor } from './cli-stack';

/**
 * The web UI in a real headless Chromium against real processes: Redis, a gateway and two
 * agents with ACLs on, an allocation whose log the test writes. Every page is checked with
 * axe-core and saved as a screenshot under artifacts/ui/.
 */
jest.setTimeout(60_000);
/** Process start-up on a loaded 2-core CI machine can take well over the helper's default 15 s. */
const STARTUP_MS = 45_000;

// A 1×1 teal PNG, for the image preview.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkqP9fDwAEmgHMnYQ6WwAAAABJRU5ErkJggg==',
  'base64',
);
// Text that must be shown as text: markup, a NUL-free mix of scripts, no trailing newline.
const FILE_TEXT = '<b>not bold</b> & <script>alert(1)</script>\nzwei Zeilen — ünïcødé ✓\nlast line';

interface Agent {
  p: FleetgateProcess;
  nodeId: string;
  dir: string;
  cleanup: () => void;
}

/**
 * Wait until `cond` holds in the page. Polled from Node with page.evaluate (a DevTools call the
 * page's CSP does not govern): Playwright's waitForFunction re-evaluates its predicate with eval
 * inside the page, which the UI's strict CSP (no 'unsafe-eval') refuses whenever the first check fails.
 */
const pollPage = async (page: Page, cond: string, timeoutMs = 10000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!(await page.evaluate(cond))) {
    if (Date.now() > end) throw new Error(`page condition not met within ${timeoutMs} ms: ${cond}`);
    await page.waitForTimeout(50);
  }
};

describe('web UI in Chromium, against Redis, a gateway and two agents with ACLs on', () => {
  let redis: RedisServer;
  let keys: { dir: string; cleanup: () => void };
  let gateway: FleetgateProcess;
  let openGateway: FleetgateProcess;
  const agents: Agent[] = [];
  let alloc: SeededAlloc;
  let mgmt: string;
  let viewer: string;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  const cspErrors: string[] = [];
  const logFile = () => path.join(alloc.logsDir, 'web.stdout.0');
  const writeLines = (lines: string[]) => fs.appendFileSync(logFile(), lines.map((l) => `${l}\n`).join(''));

  /** The join token the gateway is given in a file and the agents present. */
  const joinFile = (): string => {
    const file = path.join(keys.dir, 'join-token');
    if (!fs.existsSync(file)) fs.writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    return file;
  };

  const startAgent = async (name: string): Promise<Agent> => {
    const { dir, cleanup } = tmpDir('fleetgate-ui-');
    const p = await startFleetgate(
      [
        'agent',
        '--http-addr',
        '127.0.0.1:0',
        '--data-dir',
        dir,
        '--node-name',
        name,
        // Agents join through the gateway (they hold no Redis URL).
        '--gateway',
        gateway.url,
        '--join-token',
        joinFile(),
        '--acl',
        '--acl-key',
        path.join(keys.dir, 'acl-public.pem'),
        '--heartbeat-interval-ms',
        '300',
      ],
      {},
      STARTUP_MS,
    );
    const nodeId = fs.readFileSync(path.join(dir, 'client/node-id'), 'utf8').trim();
    return { p, nodeId, dir, cleanup };
  };

  const api = async (pathAndQuery: string, init: RequestInit = {}, token = mgmt) =>
    fetch(`${gateway.url}${pathAndQuery}`, {
      ...init,
      headers: { 'X-Nomad-Token': token, ...(init.headers as Record<string, string>) },
    });

  const watchCsp = (p: Page) =>
    p.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
    });

  const signIn = async (p: Page, token: string) => {
    await p.goto(`${gateway.url}/ui/`);
    await p.waitForURL(/\/ui\/sign-in\?next=/);
    await p.fill('input[name=token]', token);
    await p.click('button[type=submit]');
    await p.waitForURL(/\/ui\/nodes$/);
  };

  const expectAccessible = async (p: Page, what: string) => {
    const serious = await axeSerious(p);
    expect({ page: what, serious }).toEqual({ page: what, serious: [] });
  };

  /** Text of the rendered log rows (the list is virtualised: what is in view). */
  const logRows = (p: Page) => p.$$eval('.log-row', (rows) => rows.map((r) => r.textContent ?? ''));

  beforeAll(async () => {
    redis = await startRedis();
    keys = tmpDir('fleetgate-ui-keys-');
    const kg = await runCli(['acl', 'keygen', '--out', keys.dir]);
    expect(kg.code).toBe(0);
    gateway = await startFleetgate(
      [
        'gateway',
        '--http-addr',
        '127.0.0.1:0',
        '--redis',
        redis.url,
        '--acl',
        '--acl-key',
        path.join(keys.dir, 'acl-private.pem'),
        '--node-join-token',
        joinFile(),
      ],
      {},
      STARTUP_MS,
    );
    openGateway = await startFleetgate(
      ['gateway', '--http-addr', '127.0.0.1:0', '--redis', redis.url],
      {},
      STARTUP_MS,
    );
    agents.push(await startAgent('node-a'), await startAgent('node-b'));
    alloc = seedAlloc(agents[0]!.dir, { task: 'web', job: 'shop' });
    writeLines([
      'booting',
      '\x1b[32mready\x1b[0m on :8080',
      '\x1b[1;31merror\x1b[0m nothing wrong really',
      ...Array.from({ length: 40 }, (_, i) => `request ${i} served`),
    ]);
    fs.writeFileSync(path.join(alloc.allocDir, 'web/local/notes.txt'), FILE_TEXT);
    fs.writeFileSync(path.join(alloc.allocDir, 'web/local/pixel.png'), PNG);

    const boot = await (await fetch(`${gateway.url}/v1/acl/bootstrap`, { method: 'POST' })).json();
    mgmt = (boot as { SecretID: string }).SecretID;
    // A viewer reads nodes and jobs but not files: the Files page must show the 403 panel.
    const rules = JSON.stringify({ namespace: { default: { policy: 'read' } }, node: { policy: 'read' } });
    expect(
      (
        await api('/v1/acl/policy/viewer', {
          method: 'POST',
          body: JSON.stringify({ Name: 'viewer', Rules: rules }),
        })
      ).status,
    ).toBe(200);
    const tok = await api('/v1/acl/token', {
      method: 'POST',
      body: JSON.stringify({ Name: 'vera', Type: 'client', Policies: ['viewer'], ExpirationTTL: '1h' }),
    });
    viewer = ((await tok.json()) as { SecretID: string }).SecretID;
    await waitFor(
      'the allocation to register',
      async () => (await api(`/v1/allocation/${alloc.id}`)).status === 200,
    );

    browser = await launchBrowser();
    ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await ctx.newPage();
    watchCsp(page);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    for (const a of agents) {
      await a.p.stop('SIGKILL');
      a.cleanup();
    }
    await gateway?.stop('SIGKILL');
    await openGateway?.stop('SIGKILL');
    await redis?.stop();
    keys?.cleanup();
  });

  test('sign in: the token goes to sessionStorage, the node list shows both nodes ready', async () => {
    await page.goto(`${gateway.url}/ui/`);
    await page.waitForSelector('input[name=token]');
    await expectAccessible(page, 'sign-in');
    await screenshot(page, 'sign-in');
    await page.fill('input[name=token]', 'not-a-token');
    await page.click('button[type=submit]');
    await page.waitForSelector('.form-error');
    await page.fill('input[name=token]', mgmt);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/ui\/nodes$/);
    expect(await page.evaluate('sessionStorage.getItem("fleetgate.token")')).toBe(mgmt);
    for (const a of agents) await page.waitForSelector(`tr[data-node="${a.nodeId}"] .status-ready`);
    expect(await page.textContent('.topbar')).toContain('management');
    await expectAccessible(page, 'nodes');
    await screenshot(page, 'nodes');
  });

  test('a node going down turns down on screen without a reload', async () => {
    await page.evaluate('window.marker = 42');
    const b = agents[1]!;
    await b.p.stop('SIGKILL');
    await page.waitForSelector(`tr[data-node="${b.nodeId}"] .status-down`, { timeout: 20_000 });
    expect(await page.evaluate('window.marker')).toBe(42);
    expect(await page.textContent(`tr[data-node="${agents[0]!.nodeId}"] [data-col=status]`)).toBe('ready');
  });

  test('node page: host charts update every second, metadata is editable with node write', async () => {
    await page.click(`tr[data-node="${agents[0]!.nodeId}"] a`);
    await page.waitForURL(new RegExp(`/ui/nodes/${agents[0]!.nodeId}$`));
    await page.waitForSelector('figure.chart svg polyline', { state: 'attached' });
    await page.fill('.inline-form input >> nth=0', 'team');
    await page.fill('.inline-form input >> nth=1', 'payments');
    await page.click('.inline-form button[type=submit]');
    await page.waitForSelector('td:text-is("payments")');
    const meta = await (await api(`/v1/client/metadata?node_id=${agents[0]!.nodeId}`)).json();
    expect((meta as { Meta: Record<string, string> }).Meta['team']).toBe('payments');
    await page.waitForTimeout(2500);
    await expectAccessible(page, 'node');
    await screenshot(page, 'node');
  });

  test('allocations: filter by job, open one; tasks, live charts, stop offered to management', async () => {
    await page.click('nav[aria-label=Main] >> text=Allocations');
    await page.waitForURL(/\/ui\/allocations$/);
    await page.selectOption('select >> nth=0', 'shop');
    await page.waitForURL(/job=shop/);
    await expectAccessible(page, 'allocations');
    await screenshot(page, 'allocations');
    await page.click(`a[href="/ui/allocations/${alloc.id}"]`);
    await page.waitForSelector('h1:has-text("shop.shop[0]")');
    await page.waitForSelector('figure.chart svg polyline', { state: 'attached' });
    expect(await page.isVisible('button:text-is("Stop")')).toBe(true);
    await page.waitForTimeout(2500);
    await expectAccessible(page, 'allocation');
    await screenshot(page, 'allocation');
  });

  test('files: browse to alloc/logs, open a file and get its exact bytes as text; image preview; Back works', async () => {
    await page.click('a.button:text-is("Files")');
    await page.waitForURL(new RegExp(`/ui/allocations/${alloc.id}/fs$`));
    await page.click('a:text-is("alloc/")');
    await page.click('a:text-is("logs/")');
    await page.waitForURL(/path=alloc%2Flogs$/);
    await page.waitForSelector('a:text-is("web.stdout.0")');
    await expectAccessible(page, 'files');
    await screenshot(page, 'files');
    await page.click('a:text-is("web.stdout.0")');
    const shown = await (await page.waitForSelector('[data-testid=file-text]')).textContent();
    expect(shown).toBe(fs.readFileSync(logFile(), 'utf8'));
    await page.goBack();
    await page.waitForSelector('a:text-is("web.stdout.0")');

    await page.goto(`${gateway.url}/ui/allocations/${alloc.id}/fs?path=web%2Flocal%2Fnotes.txt`);
    const text = await page.waitForSelector('[data-testid=file-text]');
    expect(await text.textContent()).toBe(FILE_TEXT);
    // Shown as text: the markup in the file made no element.
    expect(await page.$$('[data-testid=file-text] b, [data-testid=file-text] script')).toHaveLength(0);
    await expectAccessible(page, 'file');
    await screenshot(page, 'file');

    await page.click('nav.crumbs a:text-is("local")');
    await page.click('a:text-is("pixel.png")');
    const img = await page.waitForSelector('img.image-preview');
    await pollPage(page, "document.querySelector('img.image-preview')?.naturalWidth === 1");
    expect(await img.getAttribute('src')).toMatch(/^blob:/);
  });

  test('logs: follow shows a new line within 1 s; ANSI colours render; pause/resume loses and repeats nothing', async () => {
    await page.goto(`${gateway.url}/ui/allocations/${alloc.id}/logs?task=web&type=stdout`);
    await page.waitForSelector('[data-testid=follow-state]:text-is("Following")');
    await page.waitForSelector('.log-row:has-text("request 39 served")');
    // Colours: the line is near the top of the log, so filter to it first.
    await page.fill('input[type=search]', 'ready on');
    const green = await page.waitForSelector('.log-row:has-text("ready on") .fg2');
    expect(
      await green.evaluate((e) =>
        (e as unknown as { computedStyleMap(): Map<string, unknown> })
          .computedStyleMap()
          .get('color')
          ?.toString(),
      ),
    ).toBe('rgb(63, 185, 80)');
    await page.fill('input[type=search]', '');

    const fresh = `fresh line ${randomUUID()}`;
    const t0 = Date.now();
    writeLines([fresh]);
    // The bound is 1 s; 1 s of slack for a loaded 2-core CI machine.
    await page.waitForSelector(`.log-row:has-text("${fresh}")`, { timeout: 2000 });
    const latency = Date.now() - t0;
    expect(latency).toBeLessThan(2000);

    await page.click('button:text-is("Pause")');
    await page.waitForSelector('[data-testid=follow-state]:text-is("Paused")');
    const paused = Array.from({ length: 20 }, (_, i) => `paused-${String(i).padStart(2, '0')}`);
    writeLines(paused.slice(0, 10));
    await page.waitForTimeout(700);
    expect(await page.$$('.log-row:has-text("paused-")')).toHaveLength(0);
    writeLines(paused.slice(10));
    await page.click('button:text-is("Resume")');
    await page.waitForSelector('.log-row:has-text("paused-19")');
    // Every paused line exactly once, in order: filter on them (all 20 fit on screen).
    await page.fill('input[type=search]', 'paused-');
    await pollPage(page, "document.querySelectorAll('.log-row').length === 20");
    expect(await logRows(page)).toEqual(paused);
    await page.fill('input[type=search]', '');
    await expectAccessible(page, 'logs');
    await screenshot(page, 'logs');
  });

  test('search while following: filters and highlights lines as they arrive', async () => {
    await page.fill('input[type=search]', 'needle');
    const lines = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? `a NEEDLE at ${i}` : `hay ${i}`));
    writeLines(lines);
    await page.waitForSelector('.log-row:has-text("NEEDLE at 9")');
    expect(await logRows(page)).toEqual(['a NEEDLE at 0', 'a NEEDLE at 3', 'a NEEDLE at 6', 'a NEEDLE at 9']);
    expect(await page.$$eval('.log-row mark', (m) => m.map((e) => e.textContent))).toEqual(
      Array(4).fill('NEEDLE'),
    );
    writeLines(['hay again', 'one more needle']);
    await page.waitForSelector('.log-row:has-text("one more needle")');
    expect((await logRows(page)).some((l) => l.startsWith('hay'))).toBe(false);
    expect(await page.textContent('.log-status')).toContain('5 matching');
    // Highlight without filtering: the hay comes back, the marks stay.
    await page.uncheck('label:has-text("Only matches") input');
    await page.waitForSelector('.log-row:has-text("hay again")');
    expect((await page.$$('.log-row mark')).length).toBeGreaterThan(0);
    await page.check('label:has-text("Wrap") input');
    await expectAccessible(page, 'logs (search)');
    await screenshot(page, 'logs-search');
  });

  test('a read-only token sees a 403 panel naming the missing capability', async () => {
    const other = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const p = await other.newPage();
    watchCsp(p);
    await signIn(p, viewer);
    await p.goto(`${gateway.url}/ui/allocations/${alloc.id}/fs?path=alloc%2Flogs`);
    const panel = await p.waitForSelector('.denied');
    const text = (await panel.textContent()) ?? '';
    expect(text).toContain('Permission denied');
    expect(text).toContain('read-fs in namespace default');
    expect(text).toContain('vera');
    // The allocation page works, without the buttons the token may not use.
    await p.goto(`${gateway.url}/ui/allocations/${alloc.id}`);
    await p.waitForSelector('h1:has-text("shop.shop[0]")');
    expect(await p.isVisible('button:text-is("Stop")')).toBe(false);
    await p.goto(`${gateway.url}/ui/allocations/${alloc.id}/fs?path=alloc%2Flogs`);
    await p.waitForSelector('.denied');
    await expectAccessible(p, '403 panel');
    await screenshot(p, 'denied');
    // Sign out forgets the token.
    await p.click('button:text-is("Sign out")');
    await p.waitForURL(/\/ui\/sign-in/);
    expect(await p.evaluate('sessionStorage.getItem("fleetgate.token")')).toBeNull();
    await other.close();
  });

  test('with ACLs off there is no sign-in', async () => {
    const other = await browser.newContext();
    const p = await other.newPage();
    await p.goto(`${openGateway.url}/ui/`);
    await p.waitForURL(/\/ui\/nodes$/);
    await p.waitForSelector(`tr[data-node="${agents[0]!.nodeId}"]`);
    expect(await p.textContent('.topbar')).toContain('ACLs off');
    expect(await p.$('a:text-is("Sign in")')).toBeNull();
    await other.close();
  });

  test('no page broke the Content-Security-Policy', () => {
    expect(cspErrors).toEqual([]);
  });
});
