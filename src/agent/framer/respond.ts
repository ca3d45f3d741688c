import type { ServerResponse as Response } from 'node:http';
import { Framer, type FramerOptions } from './framer';
import { ResponseSink } from './sink';

/**
 * The one way a streaming route answers once its checks passed: headers go out at once (so a
 * follower on an idle file knows the stream is open), `produce` feeds a framer bound to the
 * response, and an error after that point is appended as text after the last frame, as Nomad
 * does (clients report it), before the response ends.
 */
export const streamFramed = async (
  res: Response,
  signal: AbortSignal,
  contentType: string,
  mode: FramerOptions['mode'],
  produce: (framer: Framer) => Promise<unknown>,
): Promise<void> => {
  res.statusCode = 200;
  res.setHeader('Content-Type', contentType);
  res.flushHeaders();
  const sink = new ResponseSink(res, signal);
  const framer = new Framer(sink, { mode });
  framer.start();
  try {
    await produce(framer);
  } catch (e) {
    framer.flush();
    sink.write(e instanceof Error ? e.message : String(e));
  } finally {
    framer.close();
  }
  res.end();
};
