import { useEffect } from 'preact/hooks';
import { loadSession, session, signOut } from './api/session';
import { useStore } from './lib/store';
import { AllocPage } from './pages/alloc';
import { AllocsPage } from './pages/allocs';
import { FilesPage } from './pages/files';
import { LogsPage } from './pages/logs';
import { NodePage } from './pages/node';
import { NodesPage } from './pages/nodes';
import { SignInPage } from './pages/sign-in';
import { Link, navigate, useLocation } from './router';

const UUID = '([0-9a-fA-F-]{36})';

/** Path below /ui → page, and the document title it sets. */
const route = (path: string): { page: preact.JSX.Element; title: string; section?: string } | undefined => {
  let m: RegExpExecArray | null;
  if (path === '/nodes') return { page: <NodesPage />, title: 'Nodes', section: 'nodes' };
  if ((m = new RegExp(`^/nodes/${UUID}$`).exec(path)))
    return { page: <NodePage key={m[1]} id={m[1]!} />, title: 'Node', section: 'nodes' };
  if (path === '/allocations') return { page: <AllocsPage />, title: 'Allocations', section: 'allocs' };
  if ((m = new RegExp(`^/allocations/${UUID}$`).exec(path)))
    return { page: <AllocPage key={m[1]} id={m[1]!} />, title: 'Allocation', section: 'allocs' };
  if ((m = new RegExp(`^/allocations/${UUID}/fs$`).exec(path)))
    return { page: <FilesPage key={m[1]} id={m[1]!} />, title: 'Files', section: 'allocs' };
  if ((m = new RegExp(`^/allocations/${UUID}/logs$`).exec(path)))
    return { page: <LogsPage key={m[1]} id={m[1]!} />, title: 'Logs', section: 'allocs' };
  if (path === '/sign-in') return { page: <SignInPage />, title: 'Sign in' };
  return undefined;
};

const Header = ({ section }: { section?: string }) => {
  const s = useStore(session);
  return (
    <header class="topbar">
      <Link class="brand" href="/nodes">
        <img src="/ui/favicon.svg" alt="" width={22} height={22} />
        fleetgate
      </Link>
      <nav aria-label="Main">
        <Link href="/nodes" aria-current={section === 'nodes' ? 'page' : undefined}>
          Nodes
        </Link>
        <Link href="/allocations" aria-current={section === 'allocs' ? 'page' : undefined}>
          Allocations
        </Link>
      </nav>
      <div class="who">
        {s.state === 'acl-off' && <span class="pill">ACLs off</span>}
        {s.state === 'signed-in' && (
          <>
            <Link href="/sign-in" class="pill" title={`accessor ${s.self.AccessorID}`}>
              {s.self.Name || s.self.Type} · {s.self.Type}
            </Link>
            <button
              type="button"
              class="ghost"
              onClick={() => {
                signOut();
                navigate('/sign-in');
              }}
            >
              Sign out
            </button>
          </>
        )}
        {s.state === 'signed-out' && (
          <Link class="button ghost" href="/sign-in">
            Sign in
          </Link>
        )}
      </div>
    </header>
  );
};

export const App = () => {
  const loc = useLocation();
  const s = useStore(session);
  useEffect(() => {
    void loadSession();
  }, []);
  const path = loc.path === '/' ? '/nodes' : loc.path;
  useEffect(() => {
    if (loc.path === '/') navigate('/nodes', { replace: true });
  }, [loc.path]);
  // With ACLs on and no token, every page but sign-in sends the visitor there first.
  useEffect(() => {
    if (s.state === 'signed-out' && path !== '/sign-in')
      navigate(`/sign-in?next=${encodeURIComponent(path + (loc.query.toString() ? `?${loc.query}` : ''))}`, {
        replace: true,
      });
  }, [s.state, path]);
  const r = route(path);
  useEffect(() => {
    document.title = `${r?.title ?? 'Not found'} · fleetgate`;
  }, [r?.title]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Header section={r?.section} />
      <main id="main" tabIndex={-1}>
        {s.state === 'loading' ? (
          <p class="loading" role="status">
            Connecting to the gateway…
          </p>
        ) : s.state === 'unreachable' ? (
          <section class="panel error" role="alert">
            <h1>Cannot reach the gateway</h1>
            <p>{s.message}</p>
            <button type="button" onClick={() => void loadSession()}>
              Try again
            </button>
          </section>
        ) : s.state === 'signed-out' && path !== '/sign-in' ? null : r ? (
          r.page
        ) : (
          <section class="panel">
            <h1>Page not found</h1>
            <p>
              <Link href="/nodes">Go to the node list</Link>
            </p>
          </section>
        )}
      </main>
    </>
  );
};
