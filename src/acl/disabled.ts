import type { Acl, Authenticator, Identity } from './types';

const ALLOW_ALL: Acl = {
  management: true,
  allowNamespaceOp: () => true,
  allowNodeRead: () => true,
  allowNodeWrite: () => true,
};

const IDENTITY: Identity = { accessorId: 'acl-disabled', type: 'management', acl: ALLOW_ALL };

/** ACLs off, as in Nomad: every check passes and any token, even garbage, is ignored. */
export const aclDisabled: Authenticator = {
  enabled: false,
  authenticate: async () => IDENTITY,
};
