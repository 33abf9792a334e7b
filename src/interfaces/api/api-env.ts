import type { Principal } from '../../core/auth.js';

/** Per-request values set by the middleware. */
export interface ApiEnv {
  Variables: {
    /** Set by the auth middleware on authenticated routes. */
    principal: Principal;
  };
}
