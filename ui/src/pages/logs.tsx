import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { enc } from '../api/http';
import { readJob } from '../api/needs';
import type { AllocStub } from '../api/types';
import { useLoad } from '../api/watch';
import { ErrorPanel } from '../components/error-panel';
import { Loading } from '../components/status';
import { LogBuffer } from '../lib/log-buffer';
import { LogFollower, type FollowState } from '../logs/follower';
import { LogView } from '../logs/log-view';
import { Link, navigate, useLocation, withQuery } from '../router';

/** Lines kept in memory per page; older ones are dropped (and counted) so a long follow stays light. */
export const MAX_LINES = 20_000;

const STATE_TEXT: Record<FollowState, string> = {
  connecting: 'Connecting…',
  following: 'Following',
  paused: 'Paused',
  reconnecting: 'Reconnecting…',
  failed: 'Stopped',
};

const copyText = async (text: string): Promise<void> => {
  if (navigator.clipboard?.writeText) return navigator.clipboard.writeText(text);
  const ta = document.createElement('textarea');
  ta.value = text;
  document.body.append(ta);
  ta.select();
  document.execCommand('copy');
  ta.remove();
};

const Follow = ({ alloc, task, type }: { alloc: AllocStub; task: string; type: 'stdout' | 'stderr' }) => {
  const buffer = useMemo(() => new LogBuffer(MAX_LINES), [alloc.ID, task, type]);
  const [version, setVersion] = useState(0);
  const [state, setState] = useState<FollowState>('connecting');
  const [detail, setDetail] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [query, setQuery] = useState('');
  const [filter, setFilter] = useState(true);
  const [wrap, setWrap] = useState(false);
  const [stick, setStick] = useState(true);
  const [copied, setCopied] = useState<string>();
  const follower = useRef<LogFollower | undefined>(undefined);

  useEffect(() => {
    let frame = 0;
    // Many frames can arrive between two paints: render at most once per animation frame.
    const changed = () => {
      if (!frame)
        frame = requestAnimationFrame(() => {
          frame = 0;
          setVersion((v) => v + 1);
        });
    };
    const f = new LogFollower(
      { allocId: alloc.ID, namespace: alloc.Namespace, task, type },
      {
        onText: (t) => {
          if (buffer.append(t) > 0 || t) changed();
        },
        onState: (s, d) => {
          setState(s);
          setDetail(d);
        },
        onNotice: setNotice,
        onError: setError,
      },
    );
    follower.current = f;
    setError(undefined);
    setNotice(undefined);
    f.start();
    return () => {
      f.stop();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [buffer]);

  useEffect(() => {
    buffer.setQuery(query);
    setVersion((v) => v + 1);
  }, [query, buffer]);

  const filtered = filter && query !== '';
  const paused = state === 'paused';
  return (
    <>
      <div class="log-toolbar" role="toolbar" aria-label="Log controls">
        <div class="seg" role="group" aria-label="Stream">
          {(['stdout', 'stderr'] as const).map((t) => (
            <Link
              key={t}
              class={t === type ? 'seg-item active' : 'seg-item'}
              aria-current={t === type ? 'page' : undefined}
              href={`/allocations/${alloc.ID}/logs?task=${enc(task)}&type=${t}`}
            >
              {t}
            </Link>
          ))}
        </div>
        <button
          type="button"
          class={paused ? 'primary' : ''}
          disabled={state === 'failed'}
          onClick={() => (paused ? follower.current?.start() : follower.current?.pause())}
        >
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button
          type="button"
          disabled={stick}
          onClick={() => {
            setStick(true);
            setVersion((v) => v + 1);
          }}
        >
          Jump to end
        </button>
        <label class="search">
          <span class="sr-only">Search</span>
          <input
            type="search"
            placeholder="Search (highlights while following)"
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
        </label>
        <label class="check">
          <input type="checkbox" checked={filter} onChange={(e) => setFilter(e.currentTarget.checked)} />
          Only matches
        </label>
        <label class="check">
          <input type="checkbox" checked={wrap} onChange={(e) => setWrap(e.currentTarget.checked)} />
          Wrap
        </label>
        <button
          type="button"
          onClick={() => {
            const n = buffer.count(filtered);
            copyText(buffer.text(filtered)).then(
              () => setCopied(`Copied ${n} lines`),
              () => setCopied('Copy failed: select the text instead'),
            );
            setTimeout(() => setCopied(undefined), 2500);
          }}
        >
          Copy
        </button>
      </div>
      {error !== undefined && <ErrorPanel error={error} what={`the ${type} of ${task}`} />}
      <LogView
        buffer={buffer}
        version={version}
        filtered={filtered}
        wrap={wrap}
        query={query.toLowerCase()}
        stick={stick}
        onStick={setStick}
        label={`${task} ${type}`}
      />
      <div class="log-status" role="status" aria-live="polite">
        <span class={`dot dot-${state}`} aria-hidden="true" />
        <span data-testid="follow-state">{STATE_TEXT[state]}</span>
        {detail && state === 'reconnecting' && <span class="muted"> ({detail})</span>}
        <span class="muted">
          {' · '}
          {buffer.count(false)} lines
          {query ? ` · ${buffer.matchCount()} matching` : ''}
          {buffer.dropped ? ` · ${buffer.dropped} older lines dropped` : ''}
        </span>
        {notice && <span class="notice"> · {notice}</span>}
        {copied && <span class="notice"> · {copied}</span>}
      </div>
    </>
  );
};

export const LogsPage = ({ id }: { id: string }) => {
  const loc = useLocation();
  const alloc = useLoad<AllocStub>(`/v1/allocation/${enc(id)}`, readJob());
  if (alloc.error !== undefined) return <ErrorPanel error={alloc.error} what="the allocation" />;
  if (!alloc.data) return <Loading what="allocation" />;
  const a = alloc.data;
  const tasks = Object.keys(a.TaskStates).sort();
  const task = loc.query.get('task') ?? tasks[0] ?? '';
  const type = loc.query.get('type') === 'stderr' ? 'stderr' : 'stdout';
  return (
    <div class="logs-page">
      <nav class="crumbs" aria-label="Breadcrumb">
        <Link href="/allocations">Allocations</Link> <span aria-hidden="true">/</span>{' '}
        <Link href={`/allocations/${a.ID}`}>{a.Name}</Link> <span aria-hidden="true">/</span>{' '}
        <span aria-current="page">logs</span>
      </nav>
      <header class="page-head row">
        <h1>
          Logs <span class="muted">{task}</span>
        </h1>
        {tasks.length > 1 && (
          <label>
            Task{' '}
            <select value={task} onChange={(e) => navigate(withQuery(loc, { task: e.currentTarget.value }))}>
              {tasks.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
        )}
      </header>
      <Follow key={`${task}/${type}`} alloc={a} task={task} type={type} />
    </div>
  );
};
