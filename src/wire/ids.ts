/** Branded IDs: an AllocId cannot be passed where a NodeId is expected. */
export type AllocId = string & { readonly __brand: 'AllocId' };
export type NodeId = string & { readonly __brand: 'NodeId' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (s: string): boolean => UUID.test(s);
export const asAllocId = (s: string): AllocId => s as AllocId;
export const asNodeId = (s: string): NodeId => s as NodeId;
