export { Framer, type FrameSink, type FramerOptions } from './framer';
export { ResponseSink } from './sink';
export { streamFramed } from './respond';
