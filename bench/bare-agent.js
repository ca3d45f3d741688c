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

// The agent's system calls, each on the same side of the thread pool as the agent makes it (a call
// on a path goes through the pool; calls on a held descriptor or procfs are synchronous), so the
// ratio measures the agent's own code and not a different set of calls. Without the O_PATH pin
// and the reopen, the baseline would be doing less than the agent must; with asynchronous
// readlink/fstat/close it would be doing more than the agent does.
const O_PATH = 0o10000000;
const open = (p, flags) => new Promise((ok, ko) => fs.open(p, flags, (e, fd) => (e ? ko(e) : ok(fd))));
const read = (fd, buf, len) =>
  new Promise((ok, ko) => fs.read(fd, buf, 0, len, 0, (e, n) => (e ? ko(e) : ok(n))));

/** realpath, open, re-check the fd's path, fstat: what the agent does before using a path. */
const openChecked = async (rel, flags) => {
  const abs = await fsp.realpath(path.join(root, rel));
  const fd = await open(abs, flags);
  if (!fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(root)) throw new Error('escape');
  return { fd, st: fs.fstatSync(fd), name: path.basename(abs), pinned: `/proc/self/fd/${fd}` };
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
        // Pinned with O_PATH (no side effects whatever the file is), reopened through procfs to sniff.
        const { fd, st, name, pinned } = await openChecked(rel, O_PATH);
        const sniff = fs.openSync(pinned, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
        await read(sniff, Buffer.allocUnsafe(512), 512);
        fs.closeSync(sniff);
        fs.closeSync(fd);
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
        // Pinned with O_PATH, then the content opened through the pin, as the agent does.
        const { fd: pin, st, pinned } = await openChecked(rel, O_PATH);
        const fd = fs.openSync(pinned, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
        fs.closeSync(pin);
        const buf = Buffer.allocUnsafe(st.size + 1);
        const bytesRead = await read(fd, buf, buf.length);
        fs.closeSync(fd);
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end(buf.subarray(0, bytesRead));
      }
      if (u.pathname.startsWith('/v1/client/fs/ls/')) {
        // Pinned, then listed and lstat'ed through the descriptor, never through the name again.
        const { fd, pinned } = await openChecked(rel, O_PATH);
        const dir = fs.opendirSync(pinned, { bufferSize: 256 });
        const names = [];
        for (let e = await dir.read(); e !== null; e = await dir.read()) names.push(e.name);
        dir.closeSync();
        names.sort();
        const list = await Promise.all(
          names.map(async (n) => {
            const st = await fsp.lstat(`${pinned}/${n}`);
            return {
              FileMode: '-rw-r--r--',
              IsDir: st.isDirectory(),
              ModTime: st.mtime,
              Name: n,
              Size: st.size,
            };
          }),
        );
        fs.closeSync(fd);
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
