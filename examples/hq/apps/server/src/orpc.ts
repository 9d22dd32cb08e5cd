/**
 * The oRPC route families: `/rpc` (internal, first-party callers only) and `/api/orpc/*`
 * (the published OpenAPI boundary). Both serve the manifest's router, which the caller of
 * `registerOrpcRoutes` passes in; the host never builds a router of its own.
 */

import type { Context, Hono } from "hono";
import { findProcedure, type Router } from "@rawr/runtime/orpc";
import { createBoundaryContext, type BoundaryContext } from "./workflows/context";

export interface OrpcRouteOptions {
  router: Router;
}

export function registerOrpcRoutes(app: Hono, options: OrpcRouteOptions): void {
  app.all("/rpc", (c) => handleRpc(c, options.router, "/rpc"));
  app.all("/rpc/*", (c) => handleRpc(c, options.router, "/rpc"));
  app.all("/api/orpc/*", (c) => handleOpenApi(c, options.router, "/api/orpc"));
}

/** `/rpc` is default-deny: only a caller labeled first-party gets past the boundary. */
async function handleRpc(c: Context, router: Router, prefix: string): Promise<Response> {
  const ctx = createBoundaryContext(c.req.raw);
  if (ctx.callerSurface !== "first-party") {
    return c.json({ error: "rpc is internal: first-party callers only" }, 403);
  }
  return callProcedure(c, router, prefix, ctx);
}

/** The published boundary serves external (and first-party) callers. */
async function handleOpenApi(c: Context, router: Router, prefix: string): Promise<Response> {
  const ctx = createBoundaryContext(c.req.raw);
  return callProcedure(c, router, prefix, ctx);
}

async function callProcedure(c: Context, router: Router, prefix: string, ctx: BoundaryContext): Promise<Response> {
  const rest = c.req.path.slice(prefix.length).split("/").filter((s) => s.length > 0);
  const proc = rest.length > 0 ? findProcedure(router, rest) : undefined;
  if (proc === undefined) {
    return c.json({ error: `no procedure at ${c.req.path}` }, 404);
  }
  let input: unknown;
  try {
    input = await readInput(c);
  } catch {
    return c.json({ error: "input is not JSON" }, 400);
  }
  const callerSurface = ctx.callerSurface === "first-party" ? "first-party" : "external";
  const output = await proc.handler(input, { callerSurface, requestId: ctx.requestId });
  return c.json({ json: output }, 200);
}

async function readInput(c: Context): Promise<unknown> {
  if (c.req.method === "GET" || c.req.method === "HEAD") {
    const raw = c.req.query("input");
    return raw === undefined ? undefined : JSON.parse(raw);
  }
  const text = await c.req.text();
  return text.length === 0 ? undefined : JSON.parse(text);
}
