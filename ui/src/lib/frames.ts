/**
 * The browser's reader for the gateway's frame streams (`/fs/logs`, `/fs/stream`): JSON objects
 * `{"Data","File","FileEvent","Offset"}` back to back with no separator, `{}` as a heartbeat, and
 * possibly an error text appended after the last frame. Same scanning rule as the server-side
 * decoder in src/wire/frames.ts, which is built on Node's Buffer and StringDecoder and so cannot
 * run in a browser: this one takes text (the caller decodes UTF-8 with a streaming TextDecoder)
 * and returns Data as bytes decoded from base64.
 */
export interface BrowserFrame {
  readonly data: Uint8Array;
  readonly file: string;
  readonly fileEvent: string;
  /** File offset at the end of this frame's data. */
  readonly offset: number;
  readonly heartbeat: boolean;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Uint8Array(128);
for (let i = 0; i < B64.length; i++) LOOKUP[B64.charCodeAt(i)] = i;

/** Standard base64 (padded) to bytes; a few times faster than atob + charCodeAt at log rates. */
export const base64ToBytes = (s: string): Uint8Array => {
  let len = s.length;
  while (len > 0 && s.charCodeAt(len - 1) === 0x3d) len--;
  const out = new Uint8Array(Math.floor((len * 3) / 4));
  let o = 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const n =
      (LOOKUP[s.charCodeAt(i)]! << 18) |
      (LOOKUP[s.charCodeAt(i + 1)]! << 12) |
      (LOOKUP[s.charCodeAt(i + 2)]! << 6) |
      LOOKUP[s.charCodeAt(i + 3)]!;
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  const rest = len - i;
  if (rest >= 2) {
    const n = (LOOKUP[s.charCodeAt(i)]! << 18) | (LOOKUP[s.charCodeAt(i + 1)]! << 12);
    out[o++] = n >> 16;
    if (rest === 3) out[o++] = ((n | (LOOKUP[s.charCodeAt(i + 2)]! << 6)) >> 8) & 0xff;
  }
  return out;
};

const toFrame = (o: Record<string, unknown>): BrowserFrame => {
  const data = typeof o['Data'] === 'string' ? base64ToBytes(o['Data']) : new Uint8Array(0);
  const file = typeof o['File'] === 'string' ? o['File'] : '';
  const fileEvent = typeof o['FileEvent'] === 'string' ? o['FileEvent'] : '';
  const offset = typeof o['Offset'] === 'number' ? o['Offset'] : 0;
  return { data, file, fileEvent, offset, heartbeat: data.length === 0 && !file && !fileEvent && !offset };
};

export class FrameScanner {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private garbage = '';

  /** Feed decoded text; returns every frame completed by it. */
  push(text: string): BrowserFrame[] {
    if (this.garbage) {
      this.garbage += text;
      return [];
    }
    const from = this.buf.length;
    this.buf += text;
    const out: BrowserFrame[] = [];
    for (let i = from; i < this.buf.length; i++) {
      const c = this.buf.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
        continue;
      }
      if (this.depth === 0) {
        if (c === 0x7b) {
          this.start = i;
          this.depth = 1;
        } else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
          this.garbage = this.buf.slice(i);
          this.buf = '';
          return out;
        }
        continue;
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x7b) this.depth++;
      else if (c === 0x7d && --this.depth === 0) {
        out.push(toFrame(JSON.parse(this.buf.slice(this.start, i + 1)) as Record<string, unknown>));
        this.start = -1;
      }
    }
    if (this.depth === 0) this.buf = '';
    else {
      this.buf = this.buf.slice(this.start);
      this.start = 0;
    }
    return out;
  }

  /** Text that was not a frame (an error the node appended mid-stream), or ''. */
  trailer(): string {
    return this.garbage + (this.depth > 0 ? this.buf : '');
  }
}
