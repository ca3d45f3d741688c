import type { IncomingMessage } from 'node:http';
import type { Query } from '../wire';
import { targetOf } from './target';

/** First value of a parsed query parameter ('' when absent), as Go's `Query().Get`. */
export const firstValue = (v: unknown): string => {
  const first = Array.isArray(v) ? (v as unknown[])[0] : v;
  return typeof first === 'string' ? first : '';
};

/** The request's query as the row parsers read it. */
export const queryOf = (req: IncomingMessage): Query => {
  const raw = targetOf(req).query;
  return { get: (name) => firstValue(raw[name]) };
};
