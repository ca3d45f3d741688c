/** `NodeID` of a metadata body, if it is JSON with a string NodeID; otherwise the agent reports the parse error. */
export const nodeIdFromBody = (body: Buffer): string | undefined => {
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (v && typeof v === 'object' && 'NodeID' in v && typeof v.NodeID === 'string') return v.NodeID;
  } catch {
    /* not JSON: forwarded as is; the agent answers 400 with the decoder's message */
  }
  return undefined;
};
