import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Hq } from '../../services/hq/hq.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerTokenRoutes } from './token-routes.js';
import { registerAuditVerifyRoute } from './audit-verify-route.js';
import { registerTripcodeRoutes } from './tripcode-routes.js';
import { registerPipelineRoutes } from './pipeline-routes.js';
import { registerTaskPipelineRoutes } from './task-pipeline-routes.js';
import { registerBudgetRoutes } from './budget-routes.js';
import { registerDashboardRoutes } from './dashboard-routes.js';
import { registerDiffRoutes } from './diff-routes.js';
import type { ApiEnv } from './api-env.js';
import { createErrorHandler, notFoundHandler } from './error-mapper.js';
import { registerEventRoutes } from './event-routes.js';
import { registerGitRoutes } from './git-routes.js';
import type { GitHost } from '../../core/ports/git-host.js';
import { registerLeaseRoutes } from './lease-routes.js';
import { registerMetricsRoute, type MetricsRouteOptions } from './metrics-route.js';
import { registerNodeRoutes } from './node-routes.js';
import { registerPlanRoutes } from './plan-routes.js';
import { jsonContent } from './openapi-helpers.js';
import { registerSnapshotRoutes } from './snapshot-routes.js';
import { registerTaskRoutes } from './task-routes.js';
import { createValidationHook } from './validation-hook.js';
import { registerStaticWeb } from '../web/static-web.js';

const HealthResponse = z.object({ status: z.literal('ok'), version: z.string() });

/**
 * The HQ REST API (`/api/v1`), its OpenAPI 3.1 document (`/api/v1/openapi.json`) and `/healthz`.
 * Does not listen: serve `app.fetch` with a server of your choice.
 */
export interface ApiAppOptions {
  /** Serves tasks' repositories over git smart HTTP (clone, fetch, push through HQ). */
  readonly gitHost?: GitHost | undefined;
  /** The built web dashboard (`web/dist`), served at `/`; absent = API only. */
  readonly webRoot?: string | undefined;
  /** Prometheus metrics at `/metrics` (a token with `tasks:read`, unless public); absent = none. */
  readonly metrics?: MetricsRouteOptions | undefined;
}

export function createApiApp(hq: Hq, options: ApiAppOptions = {}): OpenAPIHono<ApiEnv> {
  const schemas = new Map<string, Readonly<Record<string, unknown>>>();
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: createValidationHook((c, target) => schemas.get(`${c.req.method} ${c.req.routePath}`)?.[target]),
  });
  app.onError(createErrorHandler(hq.deps.logger.child({ component: 'api' })));
  app.notFound(notFoundHandler);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: '`<tokenId>.<secret>`: an API token or a node access token',
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      tags: ['health'],
      summary: 'Liveness probe (no authentication)',
      responses: { 200: jsonContent(HealthResponse, 'HQ is up') },
    }),
    (c) => c.json({ status: 'ok' as const, version: hq.config.version }, 200),
  );

  registerTaskRoutes(app, hq);
  registerSnapshotRoutes(app, hq);
  registerDiffRoutes(app, hq);
  registerNodeRoutes(app, hq);
  registerLeaseRoutes(app, hq);
  registerAdminRoutes(app, hq);
  registerTokenRoutes(app, hq);
  registerBudgetRoutes(app, hq);
  registerDashboardRoutes(app, hq);
  registerAuditVerifyRoute(app, hq, hq.auditVerifier);
  registerTripcodeRoutes(app, hq, hq.tripcodes);
  registerPipelineRoutes(app, hq);
  registerTaskPipelineRoutes(app, hq);
  registerEventRoutes(app, hq);
  registerPlanRoutes(app, hq);
  if (options.gitHost !== undefined) registerGitRoutes(app, hq, options.gitHost);
  if (options.metrics !== undefined) registerMetricsRoute(app, hq, options.metrics);

  indexRequestSchemas(app, schemas);
  if (options.webRoot !== undefined) registerStaticWeb(app, options.webRoot);

  app.doc31('/api/v1/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Cortical HQ API',
      version: hq.config.version,
      description: 'Control plane for fleets of AI coding agents. Errors: { error: { code, message, details? } }.',
    },
  });

  return app;
}

/** `METHOD /path/:param` → the request schemas per validation target, for validation messages. */
function indexRequestSchemas(app: OpenAPIHono<ApiEnv>, out: Map<string, Readonly<Record<string, unknown>>>): void {
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== 'route') continue;
    const { method, path, request } = def.route;
    const honoPath = path.replace(/\{([^}]+)\}/g, ':$1');
    const media = request?.body?.content['application/json'];
    out.set(`${method.toUpperCase()} ${honoPath}`, {
      json: media !== undefined && 'schema' in media ? media.schema : undefined,
      query: request?.query,
      param: request?.params,
    });
  }
}
