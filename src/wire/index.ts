export * from './ids';
export * from './capabilities';
export * from './routes';
export * from './frames';
export * from './types';
export * from './advertise';
export * from './job-frames';
