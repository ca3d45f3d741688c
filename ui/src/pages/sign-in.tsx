import { useState } from 'preact/hooks';
import { loadSession, session, signOut } from '../api/session';
import { useStore } from '../lib/store';
import { Link, navigate, useLocation } from '../router';

/** Only paths inside the UI are followed after sign-in (no open redirect through ?next=). */
const safeNext = (next: string | null): string => (next && /^\/[a-z]/.test(next) ? next : '/nodes');

export const SignInPage = () => {
  const s = useStore(session);
  const loc = useLocation();
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  if (s.state === 'acl-off') {
    return (
      <section class="panel narrow">
        <h1>No sign-in needed</h1>
        <p>ACLs are off on this gateway: every page works without a token.</p>
        <Link class="button primary" href="/nodes">
          Go to nodes
        </Link>
      </section>
    );
  }
  if (s.state === 'signed-in') {
    return (
      <section class="panel narrow">
        <h1>Signed in</h1>
        <dl class="facts">
          <div>
            <dt>Name</dt>
            <dd>{s.self.Name || '—'}</dd>
          </div>
          <div>
            <dt>Type</dt>
            <dd>{s.self.Type}</dd>
          </div>
          <div>
            <dt>Accessor</dt>
            <dd class="mono">{s.self.AccessorID}</dd>
          </div>
          <div>
            <dt>Policies</dt>
            <dd>{s.self.Policies.join(', ') || '—'}</dd>
          </div>
        </dl>
        <p class="actions">
          <Link class="button primary" href={safeNext(loc.query.get('next'))}>
            Continue
          </Link>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </p>
      </section>
    );
  }
  return (
    <section class="panel narrow">
      <h1>Sign in</h1>
      <p class="muted">
        Paste an ACL token (its SecretID). It is kept in this tab only (sessionStorage) and sent as the{' '}
        <code>X-Nomad-Token</code> header.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          void loadSession(token.trim()).then((next) => {
            setBusy(false);
            if (next.state === 'signed-in') navigate(safeNext(loc.query.get('next')), { replace: true });
            else if (next.state === 'signed-out') setError(next.message ?? 'The token was not accepted.');
            else if (next.state === 'unreachable') setError(next.message);
          });
        }}
      >
        <label class="block">
          Secret ID
          <input
            name="token"
            type="password"
            autoComplete="off"
            spellcheck={false}
            required
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
        </label>
        {(error ?? (s.state === 'signed-out' ? s.message : undefined)) && (
          <p class="form-error" role="alert">
            {error ?? (s.state === 'signed-out' ? s.message : '')}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </section>
  );
};
