export {
  ApiError,
  GiveUpError,
  NetworkError,
  NodeDownError,
  StreamError,
  TlsError,
  TransferError,
  type Via,
} from '../wire/follow/errors';

/** An ID prefix that matches nothing or more than one object. */
export class PrefixError extends Error {
  constructor(
    readonly kind: 'allocation' | 'node',
    readonly prefix: string,
    readonly candidates: readonly string[],
  ) {
    super(
      candidates.length === 0
        ? `no ${kind} matches "${prefix}"`
        : `prefix "${prefix}" matches ${candidates.length} ${kind}s, give more characters:\n  ${candidates.join('\n  ')}`,
    );
    this.name = 'PrefixError';
  }
}
