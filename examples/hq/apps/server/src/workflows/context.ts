/**
 * The request-scoped boundary context: who is calling and for what, created fresh for every
 * request inside the route handlers. It is deliberately separate from the durable runtime
 * context (the Inngest bundle), which lives as long as the host instance.
 */

import { randomUUID } from "node:crypto";

export type CallerSurface = "first-party" | "external" | "unlabeled";

export interface BoundaryContext {
  readonly requestId: string;
  readonly callerSurface: CallerSurface;
  readonly method: string;
  readonly path: string;
  readonly capability?: string;
  readonly receivedAt: number;
}

/** The header a caller uses to say which surface it calls from. */
export const CALLER_SURFACE_HEADER = "x-rawr-caller-surface";

/** Reads the caller surface of a request; anything but the two known labels is unlabeled. */
export function callerSurfaceOf(request: Request): CallerSurface {
  const label = request.headers.get(CALLER_SURFACE_HEADER)?.trim().toLowerCase();
  if (label === "first-party" || label === "external") return label;
  return "unlabeled";
}

export function createBoundaryContext(request: Request, extra: { capability?: string } = {}): BoundaryContext {
  const url = new URL(request.url);
  return {
    requestId: request.headers.get("x-request-id") ?? randomUUID(),
    callerSurface: callerSurfaceOf(request),
    method: request.method,
    path: url.pathname,
    capability: extra.capability,
    receivedAt: Date.now(),
  };
}
