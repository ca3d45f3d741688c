import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { reapOrphanTasks } from '../../src/agent/runner/pidfiles';
import { FrameDecoder } from '../../src/wire/frames';
import { startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { tmpDir } from '../helpers/tmp';

const LINES = 20000;
// Numbered 50-byte lines in small batches: ~1 MB over about two seconds, so a 0.1 MB limit rotates
// the log about ten times while the followers are reading it.
const WRITER = `
let i = 0;
const pad = 'y'.repeat(39);
const tick = () => {
  let out = '';
  for (let n = 0; n < 200 && i < ${LINES}; n++, i++) out += String(i).padStart(10, '0') + pad + '\\n';
  process.stdout.write(out);
  if (i < ${LINES}) setTimeout(tick, 20);
  else setInterval(() => {}, 1000);
};
tick();
`;

/** Follow a URL until `lines` complete lines arrived; returns the text (decoded frames or plain bytes). */
const follow = (
  url: string,
  plain: boolean,
  lines: number,
  timeoutMs = 30000,
): Promise<{ text: string; files: Set<string> }> =>
  new Promise((resolve, reject) => {
    const decoder = new FrameDecoder();
    const files = new Set<string>();
    let text = '';
    let count = 0;
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`only ${count} of ${lines} lines arrived`));
    }, timeoutMs);
    const req = http.get(url, (res) => {
      if (res.statusCode !== 200) {
        clearTimeout(timer);
        reject(new Error(`status ${res.statusCode}`));
        return;
      }
      res.on('data', (chunk: Buffer) => {
        let piece: string;
        if (plain) piece = chunk.toString('latin1');
        else {
          const frames = decoder.push(chunk);
          for (const f of frames) if (f.file) files.add(f.file);
          piece = frames.map((f) => f.data.toString('latin1')).join('');
        }
        text += piece;
        for (const c of piece) if (c === '\n') count++;
        if (count >= lines) {
          clearTimeout(timer);
          req.destroy();
          resolve({ text, files });
        }
      });
    });
    req.on('error', (e) => {
      if (count < lines) reject(e);
    });
  });

describe('a real agent process following a task log across rotations', () => {
  const t = tmpDir();
  let agent: FleetgateProcess;
  let url: string;

  beforeAll(async () => {
    const dataDir = path.join(t.dir, 'data');
    const config = path.join(t.dir, 'agent.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        http_addr: '127.0.0.1:0',
        data_dir: dataDir,
        node_name: 'rot',
        allocations: [
          {
            job: 'numbers',
            tasks: [
              {
                name: 'web',
                command: process.execPath,
                args: ['-e', WRITER],
                logs: { max_files: 30, max_file_size_mb: 0.1 },
              },
            ],
          },
        ],
      }),
    );
    agent = await startFleetgate(['agent', '--config', config]);
    const allocsDir = path.join(dataDir, 'client/allocs');
    const id = fs
      .readdirSync(allocsDir)
      .find((n) => n.endsWith('.json'))!
      .slice(0, -5);
    url = `${agent.url}/v1/client/fs/logs/${id}?task=web&type=stdout&follow=true&origin=start`;
  });

  afterAll(async () => {
    await agent.stop('SIGTERM');
    reapOrphanTasks(path.join(t.dir, 'data'));
    t.cleanup();
  });

  const expectEveryLineOnce = (text: string) => {
    const numbers = text
      .split('\n')
      .slice(0, LINES)
      .map((l) => Number(l.slice(0, 10)));
    expect(numbers).toHaveLength(LINES);
    for (let i = 0; i < LINES; i++) if (numbers[i] !== i) throw new Error(`line ${i} is ${numbers[i]}`);
  };

  it('JSON frames and plain bytes both carry every line exactly once, in order, across at least 3 rotations', async () => {
    // Both followers start while the task is still writing, from the first byte of file 0.
    const [json, plain] = await Promise.all([
      follow(url, false, LINES),
      follow(`${url}&plain=true`, true, LINES),
    ]);
    expectEveryLineOnce(json.text);
    expectEveryLineOnce(plain.text);
    expect(plain.text).toBe(json.text);
    // The frames named the files they came from: the walk crossed several rotated files.
    expect(json.files.size).toBeGreaterThanOrEqual(4);
    expect([...json.files].every((f) => /^alloc\/logs\/web\.stdout\.\d+$/.test(f))).toBe(true);
  });
});
