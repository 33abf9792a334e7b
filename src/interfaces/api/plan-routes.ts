/**
 * `POST /api/v1/plans`: a request in plain words → a plan and the policy verdict (preview, 200),
 * or, with `submit: true`, the created task (201) or the refusal (403 POLICY_DENIED). Preview
 * needs tasks:read, submit tasks:write.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { allows } from '../../core/auth.js';
import { TerminalError } from '../../core/errors.js';
import { ErrorResponse } from '../../contract/node-schemas.js';
import { PlanRequest, PlanResponse } from '../../contract/plan-schemas.js';
import { routes } from '../../contract/routes.js';
import { actorOf } from '../../services/hq/auth-service.js';
import type { Hq } from '../../services/hq/hq.js';
import type { PlanOutcome } from '../../services/hq/plan-service.js';
import type { ApiEnv } from './api-env.js';
import { requireAuth } from './auth-middleware.js';
import { toTaskDto } from './dto.js';
import { errorBody } from './error-mapper.js';
import { AUTH_ERRORS, BEARER_SECURITY, jsonBody, jsonContent } from './openapi-helpers.js';

function toPlanDto(o: PlanOutcome) {
  return {
    planner: o.planner,
    plan: { ...o.plan, requires: [...o.plan.requires], checks: [...o.plan.checks], explanation: [...o.plan.explanation], guardrails: { ...o.plan.guardrails } },
    verdict: { ...o.verdict },
    task: o.task === null ? null : toTaskDto(o.task),
  };
}

export function registerPlanRoutes(app: OpenAPIHono<ApiEnv>, hq: Hq): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: routes.plans,
      tags: ['plans'],
      summary: 'Plan a request in plain words; preview it, or submit it as a task',
      description:
        'Preview (`submit` false, tasks:read): 200 with the plan and the policy verdict; refusals are audited as `plan.refused`. ' +
        'Submit (`submit` true, tasks:write): 201 with the created task when the verdict allows it, else 403 `POLICY_DENIED` with the plan and verdict in `details`.',
      security: BEARER_SECURITY,
      middleware: [requireAuth(hq, 'tasks:read')],
      request: { body: jsonBody(PlanRequest) },
      responses: {
        200: jsonContent(PlanResponse, 'The plan and its verdict (preview; nothing created)'),
        201: jsonContent(PlanResponse, 'The plan, its verdict and the created task'),
        ...AUTH_ERRORS,
        403: { content: { 'application/json': { schema: ErrorResponse } }, description: "The token's role lacks the permission (FORBIDDEN), or the policy refused the submitted plan (POLICY_DENIED)" },
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const principal = c.get('principal');
      const actor = actorOf(principal);
      const input = { request: body.request, project: body.project };
      if (!body.submit) return c.json(toPlanDto(await hq.plans.preview(input, actor)), 200);
      if (!allows(principal.role, 'tasks:write')) {
        throw new TerminalError('FORBIDDEN', `role ${principal.role} lacks permission tasks:write (needed to submit a plan; preview needs only tasks:read)`, {
          role: principal.role,
          permission: 'tasks:write',
        });
      }
      const outcome = await hq.plans.submit(input, actor);
      const dto = toPlanDto(outcome);
      if (!outcome.verdict.allowed) {
        return c.json(errorBody('POLICY_DENIED', outcome.verdict.reason ?? 'the policy refused the plan', { plan: dto.plan, verdict: dto.verdict }), 403);
      }
      return c.json(dto, 201);
    },
  );
}
