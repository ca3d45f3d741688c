import { dict, type Dict } from '../../wire';

/** Nomad's default Envoy version for connect images (Nomad's client adds these when absent). */
const ENVOY_IMAGE = 'docker.io/envoyproxy/envoy:v${NOMAD_envoy_version}';

const CONNECT_DEFAULTS: Readonly<Record<string, string>> = {
  'connect.sidecar_image': ENVOY_IMAGE,
  'connect.gateway_image': ENVOY_IMAGE,
  'connect.log_level': 'info',
  'connect.proxy_concurrency': '1',
  'connect.transparent_proxy.default_uid': '101',
  'connect.transparent_proxy.default_outbound_port': '15001',
};

/** Static meta = configured meta plus the connect.* defaults the configuration does not set. */
export const buildStaticMeta = (configured: Readonly<Record<string, string>>): Dict<string> =>
  dict([...Object.entries(CONNECT_DEFAULTS), ...Object.entries(configured)]);
