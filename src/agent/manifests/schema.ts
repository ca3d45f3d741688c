import { asAllocId, ManifestSchema, type AllocManifest } from '../../wire';

export const parseManifest = (text: string): AllocManifest => {
  const m = ManifestSchema.parse(JSON.parse(text));
  return { ...m, ID: asAllocId(m.ID.toLowerCase()) };
};

/** Unix nanoseconds as a JS number (loses sub-microsecond precision; fine for timestamps). */
export const nowNs = (): number => Date.now() * 1e6;
