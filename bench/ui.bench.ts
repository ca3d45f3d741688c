/**
 * Web UI benchmark (not a test): bundle size, time to first render of the allocation page, and
 * frame times + JS heap while the logs page follows a task writing 5,000 lines/s for 10 s.
 * One `fleetgate dev` process (gateway + agent, ACLs off) on loopback and headless Debian
 * chromium. Ratios are measured side by side in the same run: first render against the bare
 * page load, frame times under load against the same page following an idle log.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../test/helpers/browser';
import { seedAlloc } from '../test/helpers/seed-alloc';
import { tmpDir } from '../test/helpers/tmp';
import { CLI, fmt, median, percentile, startListening } from './harness';

const DIST = path.resolve(__dirname, '../dist/ui');
const RATE = 5000;
const SECONDS = 10;
const say = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Frame intervals (ms) the page's requestAnimationFrame sees during `ms`. */
const frameTimes = async (page: Page, during: () => Promise<unknown>): Promise<number[]> => {
  await page.evaluate(`(() => {
    window.__frames = [];
    let last = performance.now();
    const tick = (t) => { window.__frames.push(t - last); last = t; if (!window.__stop) requestAnimationFrame(tick); };
    window.__stop = false;
    requestAnimationFrame(tick);
  })()`);
  await during();
  return (await page.evaluate('window.__stop = true, window.__frames')) as number[];
};

const heapUsed = async (page: Page): Promise<number> => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  await cdp.detach();
  return usedSize;
};

const main = async () => {
  if (!fs.existsSync(path.join(DIST, 'app.js')))
    throw new Error('dist/ui is missing: run `npm run build` first');
  say('web UI benchmark (machine shared with other work: figures are noisy, ratios are same-run)');

  // 1. Bundle size.
  let raw = 0;
  let gz = 0;
  for (const f of ['app.js', 'app.css', 'index.html']) {
    const b = fs.readFileSync(path.join(DIST, f));
    raw += b.length;
    gz += zlib.gzipSync(b, { level: 9 }).length;
    say(
      `  ${f.padEnd(10)} ${fmt(b.length / 1024)} KiB, gzip ${fmt(zlib.gzipSync(b, { level: 9 }).length / 1024)} KiB`,
    );
  }
  say(`bundle: ${fmt(raw / 1024)} KiB, ${fmt(gz / 1024)} KiB gzip (js + css + html)`);

  const { dir, cleanup } = tmpDir('fleetgate-uibench-');
  const dev = await startListening(process.execPath, [
    CLI,
    'dev',
    '--http-addr',
    '127.0.0.1:0',
    '--data-dir',
    dir,
  ]);
  const browser = await launchBrowser();
  try {
    const alloc = seedAlloc(dir, { task: 'bench', job: 'bench' });
    const log = path.join(alloc.logsDir, 'bench.stdout.0');
    fs.writeFileSync(log, 'start\n');
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`${dev.url}/v1/allocation/${alloc.id}`)).status === 200) break;
      await sleep(100);
    }

    // 2. Time to first render of the allocation page (fresh context each time: cold cache).
    const first: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < 7; i++) {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await page.goto(`${dev.url}/ui/allocations/${alloc.id}`, { waitUntil: 'commit' });
      await page.waitForSelector('h1 .status');
      first.push((await page.evaluate('performance.now()')) as number);
      // Same-run baseline: when the browser had the page and its script (DOMContentLoaded).
      bare.push(
        (await page.evaluate(
          "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd",
        )) as number,
      );
      await ctx.close();
      process.stderr.write(`  first render ${i + 1}/7: ${fmt(first.at(-1)!)} ms\n`);
    }
    say(
      `allocation page first render: median ${fmt(median(first))} ms from navigation start ` +
        `(page + script loaded: ${fmt(median(bare))} ms; render adds ${fmt(median(first) - median(bare))} ms: ` +
        `session check + allocation fetch + paint)`,
    );

    // 3. Following a log written at 5,000 lines/s.
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await ctx.newPage();
    await page.goto(`${dev.url}/ui/allocations/${alloc.id}/logs?task=bench&type=stdout`);
    await page.waitForSelector('[data-testid=follow-state]:text-is("Following")');
    await page.fill('input[type=search]', 'line 7');
    await page.uncheck('label:has-text("Only matches") input');
    const idle = await frameTimes(page, () => sleep(3000));
    const before = await heapUsed(page);
    let written = 0;
    const fd = fs.openSync(log, 'a');
    const busy = await frameTimes(page, async () => {
      const start = Date.now();
      // Every 10 ms, the lines due by then: 5,000 lines/s however late the timer fires.
      while (Date.now() - start < SECONDS * 1000) {
        const due = Math.min(RATE * SECONDS, Math.floor(((Date.now() - start) / 1000) * RATE));
        let chunk = '';
        for (; written < due; written++) chunk += `line ${written} \x1b[32mok\x1b[0m ${'x'.repeat(60)}\n`;
        if (chunk) fs.writeSync(fd, chunk);
        await sleep(10);
      }
    });
    fs.closeSync(fd);
    await sleep(1500);
    const after = await heapUsed(page);
    const status = (await page.textContent('.log-status')) ?? '';
    say(
      `follow ${written} lines written in ${SECONDS} s (${RATE}/s); page status: ${status.replace(/\s+/g, ' ')}`,
    );
    say(
      `frame time p50/p95/max: idle ${fmt(percentile(idle, 50))}/${fmt(percentile(idle, 95))}/${fmt(Math.max(...idle))} ms, ` +
        `under load ${fmt(percentile(busy, 50))}/${fmt(percentile(busy, 95))}/${fmt(Math.max(...busy))} ms ` +
        `(${busy.length} frames; goal p95 < 50 ms)`,
    );
    say(
      `JS heap after GC: before ${fmt(before / 1048576)} MiB, after ${fmt(after / 1048576)} MiB, ` +
        `after ÷ before ${fmt(after / before, 2)} (goal < 2)`,
    );
    await ctx.close();
  } finally {
    await browser.close();
    await dev.stop();
    cleanup();
  }
};

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
