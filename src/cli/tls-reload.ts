import type { Logger } from '../log/logger';

/**
 * SIGHUP re-reads the TLS files (Nomad reloads its `tls` block the same way): renewed
 * certificates go live for new connections, open streams keep running. A bad file keeps the
 * old certificate and says why, so a botched renewal never takes the server down.
 */
export const reloadTlsOnSighup = (reloaders: ReadonlyArray<() => void>, logger: Logger): void => {
  process.on('SIGHUP', () => {
    try {
      for (const r of reloaders) r();
      logger.info('SIGHUP: TLS certificate files reloaded');
    } catch (e) {
      logger.error(
        { err: (e as Error).message },
        'SIGHUP: TLS reload failed; still using the previous certificates',
      );
    }
  });
};
