export { fsHandlers } from './handlers';
export { goFileMode } from './filemode';
export { formatModTime } from './modtime';
export { detectContentType } from './sniff';
export { activeWatchCount, watchPath } from './watch-registry';
export { streamFile, type StreamEnd, type StreamFileOptions, type StopSignal } from './follow';
