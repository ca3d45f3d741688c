/**
 * The last `n` lines of a buffer (a trailing newline does not start an empty line), as
 * `tail -n` prints them. Used for `-tail -n`, where the server can only be asked for bytes.
 */
export const lastLines = (buf: Buffer, n: number): Buffer => {
  if (n <= 0) return Buffer.alloc(0);
  let end = buf.length;
  if (end > 0 && buf[end - 1] === 0x0a) end--;
  let count = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (buf[i] === 0x0a && ++count === n) return buf.subarray(i + 1);
  }
  return buf;
};

export const countLines = (buf: Buffer): number => {
  let c = 0;
  for (const b of buf) if (b === 0x0a) c++;
  return buf.length > 0 && buf[buf.length - 1] !== 0x0a ? c + 1 : c;
};

/** Bytes to ask for when the user wants `n` lines: Nomad's guess of 120 bytes a line, at least 4 KiB. */
export const bytesForLines = (n: number): number => Math.max(n * 120, 4096);
