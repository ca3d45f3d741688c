import { KeyMaterialError, loadKeyMaterial, type KeyMaterial } from '../acl/keys';
import { ConfigError } from '../config/sources';

/** The `acl_key` file; an unusable one is a config error (one line, exit 2) like any bad value. */
export const loadAclKey = (file: string): KeyMaterial => {
  try {
    return loadKeyMaterial(file);
  } catch (err) {
    if (err instanceof KeyMaterialError) throw new ConfigError(`config: acl_key: ${err.message}`);
    throw err;
  }
};
