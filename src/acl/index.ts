/** The ACL module's public surface (no express here: the HTTP API is src/router/acl-api.ts). */
export * from './types';
export * from './authorize';
export * from './token-header';
export * from './disabled';
export * from './policy';
export * from './acl';
export * from './keys';
export * from './token';
export * from './authenticator';
