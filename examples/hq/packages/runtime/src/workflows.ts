/**
 * Workflow trigger router stand-in: per capability, a `trigger` that sends an event to the
 * runtime and a `status` that reads a run. The host resolves the capability from the
 * manifest first; this router only serves capabilities it was given. The durable runtime
 * (the bundle) is passed in by the host, the request-scoped boundary context separately.
 */

import type { InngestBundle } from "./inngest";

export interface BoundaryContextLike {
  requestId: string;
  callerSurface: string;
  capability: string;
}

export interface TriggerRouter {
  trigger(
    runtime: InngestBundle,
    capability: string,
    input: unknown,
    ctx: BoundaryContextLike,
  ): { runId: string } | undefined;
  status(
    runtime: InngestBundle,
    capability: string,
    runId: string,
    ctx: BoundaryContextLike,
  ): { runId: string; status: string } | undefined;
}

/** `events` maps a capability to the runtime event its trigger sends. */
export function createTriggerRouter(events: Readonly<Record<string, string>>): TriggerRouter {
  return {
    trigger(runtime, capability, input, ctx) {
      const name = events[capability];
      if (name === undefined) return undefined;
      const runId = runtime.client.send({
        name,
        data: { input: input as Record<string, unknown>, requestId: ctx.requestId },
      });
      return { runId };
    },
    status(runtime, capability, runId) {
      if (events[capability] === undefined) return undefined;
      const run = runtime.runtime.runs.get(runId);
      if (run === undefined || run.event.name !== events[capability]) return undefined;
      return { runId, status: run.status };
    },
  };
}
