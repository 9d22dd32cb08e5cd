/**
 * A small stand-in for oRPC with the same seams the host relies on: procedures grouped in a
 * nested router object, looked up by path and called with a per-request context. The real
 * package is not needed to exercise the host's routing and caller policy.
 */

export interface ProcedureContext {
  /** Who is calling, as established by the host boundary (never by the procedure). */
  callerSurface: "first-party" | "external" | "in-process";
  requestId: string;
}

export interface Procedure<I = unknown, O = unknown> {
  readonly kind: "procedure";
  readonly handler: (input: I, ctx: ProcedureContext) => O | Promise<O>;
}

export type Router = { readonly [key: string]: Procedure | Router };

export function procedure<I, O>(
  handler: (input: I, ctx: ProcedureContext) => O | Promise<O>,
): Procedure<I, O> {
  return { kind: "procedure", handler };
}

export function router<R extends Router>(routes: R): R {
  return routes;
}

function isProcedure(value: Procedure | Router | undefined): value is Procedure {
  return typeof value === "object" && value !== null && (value as Procedure).kind === "procedure";
}

/** Finds the procedure at `path` (segments such as `["hq", "health"]`), or undefined. */
export function findProcedure(root: Router, path: readonly string[]): Procedure | undefined {
  let node: Procedure | Router | undefined = root;
  for (const segment of path) {
    if (node === undefined || isProcedure(node) || !Object.hasOwn(node, segment)) {
      return undefined;
    }
    node = (node as Router)[segment];
  }
  return isProcedure(node) ? node : undefined;
}
