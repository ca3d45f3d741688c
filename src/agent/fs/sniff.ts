/**
 * Content sniffing in the shape of Go's `http.DetectContentType` (the WHATWG MIME sniffing
 * algorithm), which Nomad uses for stat's ContentType and cat/readat's Content-Type
 * (docs/wire.md, "Allocation files"). Looks at no more than the first 512 bytes.
 */
export const SNIFF_LEN = 512;

type Sig = (b: Buffer, firstNonWs: number) => string | undefined;

const startsWith = (b: Buffer, at: number, bytes: ArrayLike<number>): boolean => {
  if (b.length - at < bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (b[at + i] !== bytes[i]) return false;
  return true;
};

const isWs = (c: number | undefined): boolean =>
  c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x20;

/** HTML signatures: case-insensitive tag followed by a space or `>` (Go's htmlSig). */
const HTML_TAGS = [
  '<!DOCTYPE HTML',
  '<HTML',
  '<HEAD',
  '<SCRIPT',
  '<IFRAME',
  '<H1',
  '<DIV',
  '<FONT',
  '<TABLE',
  '<A',
  '<STYLE',
  '<TITLE',
  '<B',
  '<BODY',
  '<BR',
  '<P',
  '<!--',
];
const htmlSig: Sig = (b, at) => {
  for (const tag of HTML_TAGS) {
    if (b.length - at < tag.length + 1) continue;
    let ok = true;
    for (let i = 0; i < tag.length && ok; i++) {
      let c = b[at + i]!;
      if (c >= 0x61 && c <= 0x7a) c &= 0xdf;
      ok = c === tag.charCodeAt(i);
    }
    const term = b[at + tag.length];
    if (ok && (term === 0x20 || term === 0x3e)) return 'text/html; charset=utf-8';
  }
  return undefined;
};

/** A signature's bytes, encoded once when the table is built rather than on every request. */
const bytesOf = (sig: readonly number[] | string): ArrayLike<number> =>
  typeof sig === 'string' ? Buffer.from(sig, 'latin1') : sig;

const exact = (sig: readonly number[] | string, type: string, skipWs = false): Sig => {
  const bytes = bytesOf(sig);
  return (b, at) => (startsWith(b, skipWs ? at : 0, bytes) ? type : undefined);
};

const FTYP = bytesOf('ftyp');
const MP4 = bytesOf('mp4');

const masked =
  (pattern: readonly number[], mask: readonly number[], type: string): Sig =>
  (b) => {
    if (b.length < pattern.length) return undefined;
    for (let i = 0; i < pattern.length; i++) if ((b[i]! & mask[i]!) !== pattern[i]) return undefined;
    return type;
  };

const mp4: Sig = (b) => {
  if (b.length < 12) return undefined;
  const boxSize = b.readUInt32BE(0);
  if (boxSize % 4 !== 0 || b.length < boxSize || !startsWith(b, 4, FTYP)) return undefined;
  for (let st = 8; st < boxSize; st += 4) {
    if (st === 12) continue;
    if (startsWith(b, st, MP4)) return 'video/mp4';
  }
  return undefined;
};

const SIGS: readonly Sig[] = [
  htmlSig,
  exact('<?xml', 'text/xml; charset=utf-8', true),
  exact('%PDF-', 'application/pdf'),
  exact('%!PS-Adobe-', 'application/postscript'),
  exact([0xfe, 0xff], 'text/plain; charset=utf-16be'),
  exact([0xff, 0xfe], 'text/plain; charset=utf-16le'),
  exact([0xef, 0xbb, 0xbf], 'text/plain; charset=utf-8'),
  exact([0x00, 0x00, 0x01, 0x00], 'image/x-icon'),
  exact([0x00, 0x00, 0x02, 0x00], 'image/x-icon'),
  exact('BM', 'image/bmp'),
  exact('GIF87a', 'image/gif'),
  exact('GIF89a', 'image/gif'),
  masked(
    [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50],
    [255, 255, 255, 255, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255],
    'image/webp',
  ),
  exact([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'image/png'),
  exact([0xff, 0xd8, 0xff], 'image/jpeg'),
  masked(
    [0x46, 0x4f, 0x52, 0x4d, 0, 0, 0, 0, 0x41, 0x49, 0x46, 0x46],
    [255, 255, 255, 255, 0, 0, 0, 0, 255, 255, 255, 255],
    'audio/aiff',
  ),
  masked([0x49, 0x44, 0x33], [255, 255, 255], 'audio/mpeg'),
  exact('OggS\x00', 'application/ogg'),
  exact('MThd\x00\x00\x00\x06', 'audio/midi'),
  masked(
    [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x41, 0x56, 0x49, 0x20],
    [255, 255, 255, 255, 0, 0, 0, 0, 255, 255, 255, 255],
    'video/avi',
  ),
  masked(
    [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x41, 0x56, 0x45],
    [255, 255, 255, 255, 0, 0, 0, 0, 255, 255, 255, 255],
    'audio/wave',
  ),
  mp4,
  exact([0x1a, 0x45, 0xdf, 0xa3], 'video/webm'),
  exact('wOFF', 'font/woff'),
  exact('wOF2', 'font/woff2'),
  exact([0x1f, 0x8b, 0x08], 'application/x-gzip'),
  exact([0x50, 0x4b, 0x03, 0x04], 'application/zip'),
  exact('Rar!\x1a\x07\x00', 'application/x-rar-compressed'),
  exact('Rar!\x1a\x07\x01\x00', 'application/x-rar-compressed'),
  exact([0x00, 0x61, 0x73, 0x6d], 'application/wasm'),
];

/** Go's textSig: no binary control bytes (other than whitespace/ESC) → text. */
const looksText = (b: Buffer, at: number): boolean => {
  for (let i = at; i < b.length; i++) {
    const c = b[i]!;
    if (c <= 0x08 || c === 0x0b || (c >= 0x0e && c <= 0x1a) || (c >= 0x1c && c <= 0x1f)) return false;
  }
  return true;
};

export const detectContentType = (input: Buffer): string => {
  const b = input.length > SNIFF_LEN ? input.subarray(0, SNIFF_LEN) : input;
  let at = 0;
  while (at < b.length && isWs(b[at])) at++;
  for (const sig of SIGS) {
    const t = sig(b, at);
    if (t) return t;
  }
  return looksText(b, at) ? 'text/plain; charset=utf-8' : 'application/octet-stream';
};
