// A bare node:http server doing the same system calls as the agent for each small endpoint, with
// no framework, no logging, no ACL: the baseline of bench/agent-requests.bench.ts. Plain JS so it
// starts as a plain `node` process. argv: <alloc dir> <cached alloc stats JSON file>.
const http = require('node:http');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const path = require('node:path');

const root = fs.realpathSync(process.argv[2]);
const cachedStats = fs.readFileSync(process.argv[3], 'utf8');
const meta = JSON.stringify({ Meta: { rack: 'r1', 'connect.sidecar_image': 'envoy' } });

// What the agent does for a file: realpath, open, re-check the fd's path, fstat.
const openChecked = async (rel) => {
  const abs = await fsp.realpath(path.join(root, rel));
  const fh = await fsp.open(abs, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  await fsp.readlink(`/proc/self/fd/${fh.fd}`);
  const st = await fh.stat();
  return { fh, st, name: path.basename(abs) };
};

const json = (res, body) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

http
  .createServer(async (req, res) => {
    const u = new URL(req.url, 'http://x');
    const rel = u.searchParams.get('path') ?? '/';
    try {
      if (u.pathname === '/v1/agent/health') return json(res, { client: { message: 'ok', ok: true } });
      if (u.pathname === '/v1/client/metadata') return json(res, meta);
      if (u.pathname.startsWith('/v1/client/allocation/') || u.pathname === '/v1/client/stats')
        return json(res, cachedStats);
      if (u.pathname.startsWith('/v1/client/fs/stat/')) {
        const { fh, st, name } = await openChecked(rel);
        const head = Buffer.alloc(512);
        await fh.read(head, 0, 512, 0);
        await fh.close();
        return json(res, {
          ContentType: 'text/plain',
          FileMode: '-rw-r--r--',
          IsDir: false,
          ModTime: st.mtime,
          Name: name,
          Size: st.size,
        });
      }
      if (u.pathname.startsWith('/v1/client/fs/cat/')) {
        const { fh, st } = await openChecked(rel);
        const buf = Buffer.allocUnsafe(st.size + 1);
        const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
        await fh.close();
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end(buf.subarray(0, bytesRead));
      }
      if (u.pathname.startsWith('/v1/client/fs/ls/')) {
        const dir = await fsp.realpath(path.join(root, rel));
        const entries = await fsp.readdir(dir);
        const list = await Promise.all(
          entries.map(async (n) => {
            const st = await fsp.lstat(path.join(dir, n));
            return {
              FileMode: '-rw-r--r--',
              IsDir: st.isDirectory(),
              ModTime: st.mtime,
              Name: n,
              Size: st.size,
            };
          }),
        );
        return json(res, list);
      }
      res.writeHead(404).end('not found');
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  })
  .listen(0, '127.0.0.1', function () {
    console.log('bare listening on http://127.0.0.1:' + this.address().port);
  });
