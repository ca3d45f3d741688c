import { useEffect, useState } from 'preact/hooks';
import { routePath } from '../../../src/wire/routes';
import { call, enc, isAbort } from '../api/http';
import { readJob, routeNeed } from '../api/needs';
import type { AllocFileInfo, AllocStub } from '../api/types';
import { useLoad } from '../api/watch';
import { ErrorPanel } from '../components/error-panel';
import { Loading } from '../components/status';
import { formatBytes, shortId } from '../lib/format';
import { Link, navigate, useLocation, withQuery } from '../router';

/** Files up to this size are previewed whole; larger ones a page at a time with `readat`. */
export const WHOLE_LIMIT = 2 * 1024 * 1024;
export const PAGE_SIZE = 256 * 1024;

const join = (dir: string, name: string) => (dir ? `${dir.replace(/\/+$/, '')}/${name}` : name);

const isImage = (ct: string) => /^image\/(png|jpeg|gif|webp|bmp|x-icon|vnd\.microsoft\.icon)/.test(ct);
const isText = (ct: string) =>
  ct === '' || ct.startsWith('text/') || /json|xml|javascript|x-sh|yaml|toml/.test(ct);

/** The allocation directory, one breadcrumb per path segment. */
const Crumbs = ({ alloc, path }: { alloc: AllocStub; path: string }) => {
  const parts = path.split('/').filter(Boolean);
  return (
    <nav class="crumbs" aria-label="Breadcrumb">
      <Link href="/allocations">Allocations</Link> <span aria-hidden="true">/</span>{' '}
      <Link href={`/allocations/${alloc.ID}`}>{alloc.Name}</Link> <span aria-hidden="true">/</span>{' '}
      {parts.length === 0 ? (
        <span aria-current="page">files</span>
      ) : (
        <Link href={`/allocations/${alloc.ID}/fs`}>files</Link>
      )}
      {parts.map((p, i) => {
        const to = parts.slice(0, i + 1).join('/');
        return (
          <span key={to}>
            {' '}
            <span aria-hidden="true">/</span>{' '}
            {i === parts.length - 1 ? (
              <span aria-current="page">{p}</span>
            ) : (
              <Link href={`/allocations/${alloc.ID}/fs?path=${enc(to)}`}>{p}</Link>
            )}
          </span>
        );
      })}
    </nav>
  );
};

const Listing = ({ alloc, path }: { alloc: AllocStub; path: string }) => {
  const ls = useLoad<AllocFileInfo[]>(
    `${routePath('fs.ls', alloc.ID)}?path=${enc(path || '/')}`,
    routeNeed('fs.ls', alloc.Namespace),
  );
  if (ls.error !== undefined) return <ErrorPanel error={ls.error} what="the directory" />;
  if (!ls.data) return <Loading what="directory" />;
  const entries = [...ls.data].sort(
    (a, b) => Number(b.IsDir) - Number(a.IsDir) || a.Name.localeCompare(b.Name),
  );
  return (
    <div class="table-wrap">
      <table class="table files" aria-label={`Contents of /${path}`}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" class="num">
              Size
            </th>
            <th scope="col">Mode</th>
            <th scope="col">Modified</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.Name}>
              <td>
                <span class={e.IsDir ? 'icon-dir' : 'icon-file'} aria-hidden="true" />
                <Link href={`/allocations/${alloc.ID}/fs?path=${enc(join(path, e.Name))}`}>
                  {e.Name}
                  {e.IsDir ? '/' : ''}
                </Link>
              </td>
              <td class="num">{e.IsDir ? '—' : formatBytes(e.Size)}</td>
              <td class="mono">{e.FileMode}</td>
              <td>{e.ModTime.replace('T', ' ').slice(0, 19)}</td>
            </tr>
          ))}
          {entries.length === 0 && (
            <tr>
              <td colSpan={4} class="muted">
                Empty directory.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
};

/** Bytes of the file (whole, or one page), decoded as text and always shown as text. */
const TextPreview = ({ alloc, path, size }: { alloc: AllocStub; path: string; size: number }) => {
  const paged = size > WHOLE_LIMIT;
  const loc = useLocation();
  const pages = Math.max(1, Math.ceil(size / PAGE_SIZE));
  const page = Math.min(pages - 1, Math.max(0, Number(loc.query.get('page') ?? 0) || 0));
  const [text, setText] = useState<string>();
  const [err, setErr] = useState<unknown>();
  useEffect(() => {
    const ctl = new AbortController();
    setText(undefined);
    setErr(undefined);
    const url = paged
      ? `${routePath('fs.readat', alloc.ID)}?path=${enc(path)}&offset=${page * PAGE_SIZE}&limit=${PAGE_SIZE}`
      : `${routePath('fs.cat', alloc.ID)}?path=${enc(path)}`;
    call(url, { signal: ctl.signal, need: routeNeed(paged ? 'fs.readat' : 'fs.cat', alloc.Namespace) })
      .then((r) => r.arrayBuffer())
      .then(
        (buf) => setText(new TextDecoder().decode(buf)),
        (e: unknown) => !isAbort(e) && setErr(e),
      );
    return () => ctl.abort();
  }, [alloc.ID, path, page, paged]);
  const go = (p: number) => navigate(withQuery(loc, { page: p ? String(p) : undefined }));
  return (
    <>
      {paged && (
        <div class="pager" role="group" aria-label="Pages">
          <button type="button" disabled={page === 0} onClick={() => go(0)}>
            First
          </button>
          <button type="button" disabled={page === 0} onClick={() => go(page - 1)}>
            Previous
          </button>
          <span class="muted">
            bytes {formatBytes(page * PAGE_SIZE)}–{formatBytes(Math.min(size, (page + 1) * PAGE_SIZE))} of{' '}
            {formatBytes(size)} (page {page + 1} of {pages})
          </span>
          <button type="button" disabled={page >= pages - 1} onClick={() => go(page + 1)}>
            Next
          </button>
          <button type="button" disabled={page >= pages - 1} onClick={() => go(pages - 1)}>
            Last
          </button>
        </div>
      )}
      {err !== undefined ? (
        <ErrorPanel error={err} what="the file" />
      ) : text === undefined ? (
        <Loading what="file" />
      ) : (
        <pre class="preview" tabIndex={0} aria-label={`Contents of ${path}`} data-testid="file-text">
          {text}
        </pre>
      )}
    </>
  );
};

const ImagePreview = ({ alloc, path }: { alloc: AllocStub; path: string }) => {
  const [url, setUrl] = useState<string>();
  const [err, setErr] = useState<unknown>();
  useEffect(() => {
    const ctl = new AbortController();
    let made: string | undefined;
    call(`${routePath('fs.cat', alloc.ID)}?path=${enc(path)}`, {
      signal: ctl.signal,
      need: routeNeed('fs.cat', alloc.Namespace),
    })
      .then((r) => r.blob())
      .then(
        (b) => setUrl((made = URL.createObjectURL(b))),
        (e: unknown) => !isAbort(e) && setErr(e),
      );
    return () => {
      ctl.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [alloc.ID, path]);
  if (err !== undefined) return <ErrorPanel error={err} what="the image" />;
  return url ? <img class="image-preview" src={url} alt={`Preview of ${path}`} /> : <Loading what="image" />;
};

const download = async (alloc: AllocStub, path: string) => {
  const res = await call(`${routePath('fs.cat', alloc.ID)}?path=${enc(path)}`, {
    need: routeNeed('fs.cat', alloc.Namespace),
  });
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = path.split('/').pop() || 'download';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
};

const FileView = ({ alloc, path, info }: { alloc: AllocStub; path: string; info: AllocFileInfo }) => {
  const ct = (info.ContentType ?? '').split(';')[0]!.trim();
  const [err, setErr] = useState<unknown>();
  return (
    <>
      <div class="file-head">
        <dl class="facts">
          <div>
            <dt>Size</dt>
            <dd>{formatBytes(info.Size)}</dd>
          </div>
          <div>
            <dt>Mode</dt>
            <dd class="mono">{info.FileMode}</dd>
          </div>
          <div>
            <dt>Modified</dt>
            <dd>{info.ModTime.replace('T', ' ').slice(0, 19)}</dd>
          </div>
          <div>
            <dt>Type</dt>
            <dd>{info.ContentType || 'unknown'}</dd>
          </div>
        </dl>
        <button type="button" onClick={() => download(alloc, path).catch(setErr)}>
          Download
        </button>
      </div>
      {err !== undefined && <ErrorPanel error={err} what="the download" />}
      {isImage(ct) && info.Size <= 16 * 1024 * 1024 ? (
        <ImagePreview alloc={alloc} path={path} />
      ) : isText(ct) ? (
        <TextPreview alloc={alloc} path={path} size={info.Size} />
      ) : (
        <p class="muted">No preview for {ct || 'this type'}: download it instead.</p>
      )}
    </>
  );
};

/** Directory or file at `path`: stat decides which. */
const Entry = ({ alloc, path }: { alloc: AllocStub; path: string }) => {
  const stat = useLoad<AllocFileInfo>(
    path ? `${routePath('fs.stat', alloc.ID)}?path=${enc(path)}` : undefined,
    routeNeed('fs.stat', alloc.Namespace),
  );
  if (!path) return <Listing alloc={alloc} path="" />;
  if (stat.error !== undefined) return <ErrorPanel error={stat.error} what={`/${path}`} />;
  if (!stat.data) return <Loading what={path} />;
  return stat.data.IsDir ? (
    <Listing alloc={alloc} path={path} />
  ) : (
    <FileView alloc={alloc} path={path} info={stat.data} />
  );
};

export const FilesPage = ({ id }: { id: string }) => {
  const loc = useLocation();
  const path = (loc.query.get('path') ?? '').replace(/^\/+/, '');
  const alloc = useLoad<AllocStub>(`/v1/allocation/${enc(id)}`, readJob());
  if (alloc.error !== undefined) return <ErrorPanel error={alloc.error} what="the allocation" />;
  if (!alloc.data) return <Loading what="allocation" />;
  return (
    <>
      <Crumbs alloc={alloc.data} path={path} />
      <header class="page-head">
        <h1>
          Files{' '}
          <span class="muted mono">
            {shortId(alloc.data.ID)}:/{path}
          </span>
        </h1>
      </header>
      <Entry key={path} alloc={alloc.data} path={path} />
    </>
  );
};
