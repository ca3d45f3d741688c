import fs from 'node:fs';
import fsp from 'node:fs/promises';

/**
 * One shared watcher per path, ref-counted: N follow streams on one file cost one inotify watch
 * and one 250 ms stat poll, released when the last stream goes. Listeners only get a wake-up;
 * each follower re-checks the file itself, so a spurious wake is harmless and a missed inotify
 * event (replaced inode, network FS) is caught by the poll.
 */
export type WakeKind = 'rename' | 'change' | 'poll';
export type WakeListener = (kind: WakeKind) => void;

export const POLL_MS = 250;

interface Entry {
  readonly listeners: Set<WakeListener>;
  watcher: fs.FSWatcher | undefined;
  poll: NodeJS.Timeout;
  signature: string | undefined;
  polling: boolean;
}

const entries = new Map<string, Entry>();

/** Number of paths currently watched (tests use it to prove watchers are released). */
export const activeWatchCount = (): number => entries.size;

const notify = (e: Entry, kind: WakeKind): void => {
  for (const l of [...e.listeners]) l(kind);
};

const startFsWatch = (abs: string, e: Entry): void => {
  try {
    const w = fs.watch(abs, { persistent: false }, (eventType) => {
      const kind: WakeKind = eventType === 'rename' ? 'rename' : 'change';
      notify(e, kind);
    });
    w.on('error', () => {
      // The watched inode went away (deleted/replaced); the poll notices and re-arms.
      w.close();
      if (e.watcher === w) e.watcher = undefined;
    });
    e.watcher = w;
  } catch {
    e.watcher = undefined; // path missing right now: the poll keeps looking.
  }
};

const signatureOf = async (abs: string): Promise<string> => {
  try {
    const st = await fsp.stat(abs, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch {
    return 'missing';
  }
};

const pollOnce = async (abs: string, e: Entry): Promise<void> => {
  if (e.polling) return;
  e.polling = true;
  try {
    const sig = await signatureOf(abs);
    if (entries.get(abs) !== e) return; // released meanwhile
    const prev = e.signature;
    e.signature = sig;
    const inode = sig.split(':').slice(0, 2).join(':');
    const prevInode = prev?.split(':').slice(0, 2).join(':');
    if (inode !== prevInode) {
      // A new inode at this path (or the path vanished): inotify still watches the old one.
      e.watcher?.close();
      e.watcher = undefined;
      if (sig !== 'missing') startFsWatch(abs, e);
    } else if (!e.watcher && sig !== 'missing') startFsWatch(abs, e);
    if (prev !== undefined && sig !== prev) notify(e, 'poll');
  } finally {
    e.polling = false;
  }
};

/** Watch `abs` (file or directory) for changes; returns the release function (idempotent). */
export const watchPath = (abs: string, listener: WakeListener): (() => void) => {
  let e = entries.get(abs);
  if (!e) {
    const entry: Entry = {
      listeners: new Set(),
      watcher: undefined,
      poll: undefined as unknown as NodeJS.Timeout,
      signature: undefined,
      polling: false,
    };
    entry.poll = setInterval(() => void pollOnce(abs, entry), POLL_MS);
    entries.set(abs, entry);
    startFsWatch(abs, entry);
    void pollOnce(abs, entry);
    e = entry;
  }
  const entry = e;
  // A Set would merge two registrations of the same function; wrap so each call is its own ref.
  const ref: WakeListener = (k) => listener(k);
  entry.listeners.add(ref);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    entry.listeners.delete(ref);
    if (entry.listeners.size === 0 && entries.get(abs) === entry) {
      clearInterval(entry.poll);
      entry.watcher?.close();
      entries.delete(abs);
    }
  };
};
