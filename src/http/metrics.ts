import type { ServerResponse } from 'node:http';
import type { Metrics } from '../log/metrics';

/**
 * The `metrics` row's answer, the same at both roles: this process's Prometheus text. Labels
 * are route ids and statuses only, never allocation or node ids.
 */
export const sendMetrics = async (res: ServerResponse, metrics: Metrics): Promise<void> => {
  const text = await metrics.text();
  res.writeHead(200, { 'Content-Type': metrics.contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
};
