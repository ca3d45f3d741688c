import { ApiError } from '../api/http';
import { describeNeed } from '../api/needs';
import { session } from '../api/session';
import { useStore } from '../lib/store';
import { currentLocation, Link } from '../router';

/**
 * What a failed load shows. A 403 names the capability the call needed (the gateway answers
 * only "Permission denied") and who is signed in, with a way to sign in as someone else.
 */
export const ErrorPanel = ({ error, what }: { error: unknown; what?: string }) => {
  const s = useStore(session);
  if (error instanceof ApiError && error.status === 403) {
    const here = currentLocation();
    const next = encodeURIComponent(here.path + (here.query.toString() ? `?${here.query}` : ''));
    return (
      <section class="panel denied" role="alert" aria-labelledby="denied-title">
        <h2 id="denied-title">Permission denied</h2>
        <p>
          {what ? `Loading ${what} needs ` : 'This needs '}
          {error.need ? <strong class="cap">{describeNeed(error.need)}</strong> : 'a capability'}
          {', which '}
          {s.state === 'signed-in' ? (
            <>
              the token <strong>{s.self.Name || s.self.AccessorID}</strong>
              {s.self.Policies.length > 0 ? ` (policies: ${s.self.Policies.join(', ')})` : ''} does not grant.
            </>
          ) : (
            'anonymous access does not grant.'
          )}
        </p>
        <p class="muted">
          {error.method} {error.path.split('?')[0]} → 403 {error.message}
        </p>
        <p>
          <Link class="button" href={`/sign-in?next=${next}`}>
            Sign in with another token
          </Link>
        </p>
      </section>
    );
  }
  const message =
    error instanceof ApiError
      ? `${error.status ? `${error.status}: ` : ''}${error.message}`
      : ((error as Error | undefined)?.message ?? String(error));
  return (
    <section class="panel error" role="alert">
      <h2>{what ? `Could not load ${what}` : 'Something went wrong'}</h2>
      <p>{message}</p>
    </section>
  );
};
