/**
 * The CLI's in-process HQ client: commands call the manifest's procedures directly, in the
 * same process, instead of making an HTTP request to a local server (a "self-call" that
 * would need a running host and would bypass nothing but add a network hop).
 */

import { findProcedure, type ProcedureContext, type Router } from "@rawr/runtime/orpc";
import { randomUUID } from "node:crypto";

export interface InProcessClient {
  /** Calls the procedure at a dotted path (`"hq.health"`) with `input`. */
  call<T = unknown>(path: string, input?: unknown): Promise<T>;
}

export class UnknownProcedureError extends Error {
  constructor(readonly path: string) {
    super(`no procedure at ${path}`);
  }
}

export function createInProcessClient(router: Router): InProcessClient {
  return {
    async call<T>(path: string, input?: unknown): Promise<T> {
      const proc = findProcedure(router, path.split(".").filter((s) => s.length > 0));
      if (proc === undefined) throw new UnknownProcedureError(path);
      const ctx: ProcedureContext = { callerSurface: "in-process", requestId: randomUUID() };
      return (await proc.handler(input, ctx)) as T;
    },
  };
}

/** `rawr hq status`: one line per check, for the terminal. */
export async function hqStatusLines(client: InProcessClient): Promise<string[]> {
  const health = await client.call<{ ok: boolean }>("hq.health");
  const who = await client.call<{ callerSurface: string }>("hq.whoami");
  return [`health: ${health.ok ? "ok" : "failing"}`, `caller surface: ${who.callerSurface}`];
}
