import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Registry } from 'prom-client';
import type { Hq } from '../../services/hq/hq.js';
import { PROMETHEUS_CONTENT_TYPE } from '../../services/metrics/metrics-registry.js';
import type { ApiEnv } from './api-env.js';
import { requireAuth } from './auth-middleware.js';
import { AUTH_ERRORS, BEARER_SECURITY } from './openapi-helpers.js';

export const METRICS_PATH = '/metrics';

export interface MetricsRouteOptions {
  /** The registry to expose (`createHqMetrics(...).registry`). */
  readonly registry: Registry;
  /**
   * Serve without a token. Default false: the caller needs an API token whose role may read
   * status (`tasks:read`: admin, operator, viewer).
   */
  readonly public?: boolean | undefined;
}

/**
 * `GET /metrics`: the registry in the Prometheus text format (0.0.4). Register it before any
 * catch-all route (the dashboard's static files), or the catch-all answers first.
 */
export function registerMetricsRoute(app: OpenAPIHono<ApiEnv>, hq: Hq, metrics: MetricsRouteOptions): void {
  const open = metrics.public === true;
  app.openapi(
    createRoute({
      method: 'get',
      path: METRICS_PATH,
      tags: ['health'],
      summary: open ? 'Prometheus metrics (no authentication)' : 'Prometheus metrics (any role that may read status)',
      ...(open ? {} : { security: BEARER_SECURITY, middleware: [requireAuth(hq, 'tasks:read')] as const }),
      responses: {
        200: { content: { 'text/plain': { schema: z.string() } }, description: 'Metrics in the Prometheus text format 0.0.4' },
        ...(open ? {} : AUTH_ERRORS),
      },
    }),
    async (c) => {
      const text = await metrics.registry.metrics();
      return c.body(text, 200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' });
    },
  );
}
