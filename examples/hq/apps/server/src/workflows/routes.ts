/**
 * The caller-facing workflow boundary `/api/workflows/<capability>/*`. The capability is
 * resolved from the manifest's declared capabilities (and their `pathPrefix`); an undeclared
 * capability is a 404, whoever asks.
 */

import type { Context } from "hono";
import type { InngestBundle } from "@rawr/runtime/inngest";
import type { TriggerRouter } from "@rawr/runtime/workflows";
import { createBoundaryContext } from "./context";

export interface WorkflowRouteDeps {
  capabilities: Readonly<Record<string, { readonly pathPrefix: string }>>;
  triggerRouter: TriggerRouter;
  runtime: InngestBundle;
}

export async function handleWorkflowRequest(c: Context, deps: WorkflowRouteDeps): Promise<Response> {
  const capability = c.req.param("capability") ?? "";
  if (!Object.hasOwn(deps.capabilities, capability)) {
    return c.json({ error: `unknown workflow capability: ${capability}` }, 404);
  }
  const { pathPrefix } = deps.capabilities[capability];
  if (c.req.path !== pathPrefix && !c.req.path.startsWith(`${pathPrefix}/`)) {
    return c.json({ error: `capability ${capability} is served under ${pathPrefix}` }, 404);
  }
  const ctx = createBoundaryContext(c.req.raw, { capability });
  const rest = c.req.path.slice(pathPrefix.length).split("/").filter((s) => s.length > 0);

  if (c.req.method === "POST" && rest.length === 1 && rest[0] === "trigger") {
    let input: unknown;
    try {
      const text = await c.req.text();
      input = text.length === 0 ? {} : JSON.parse(text);
    } catch {
      return c.json({ error: "input is not JSON" }, 400);
    }
    const started = deps.triggerRouter.trigger(deps.runtime, capability, input, ctx);
    if (started === undefined) return c.json({ error: `no trigger for ${capability}` }, 404);
    return c.json({ capability, runId: started.runId, requestId: ctx.requestId }, 202);
  }
  if (c.req.method === "GET" && rest.length === 2 && rest[0] === "runs") {
    const status = deps.triggerRouter.status(deps.runtime, capability, rest[1], ctx);
    if (status === undefined) return c.json({ error: `no run ${rest[1]} for ${capability}` }, 404);
    return c.json({ capability, ...status }, 200);
  }
  if (c.req.method === "GET" && rest.length === 0) {
    return c.json({ capability, pathPrefix, operations: ["POST trigger", "GET runs/:runId"] }, 200);
  }
  return c.json({ error: `no workflow operation ${c.req.method} ${c.req.path}` }, 404);
}
