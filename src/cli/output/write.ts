/** Writes honouring back-pressure, so a slow reader (a pipe, a terminal) bounds our memory. */
export const writeOut = (stream: NodeJS.WritableStream, chunk: Buffer | string): Promise<void> =>
  new Promise((resolve, reject) => {
    const ok = stream.write(chunk, (err) => (err ? reject(err) : undefined));
    if (ok) resolve();
    else stream.once('drain', resolve);
  });

/**
 * `fleetgate alloc logs ... | head` closes our stdout early: that is the reader saying "enough",
 * not an error, so exit 0 quietly instead of printing EPIPE.
 */
export const exitQuietlyOnEpipe = (): void => {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
};
