/**
 * A small stand-in for the Inngest runtime with the same seams as the real one: a bundle
 * (client + functions) built by a factory, and a serve handler built from the bundle that
 * takes the raw runtime request and dispatches the event to the matching functions.
 *
 * The serve handler trusts its caller: signature verification is the host's job and happens
 * before the request is handed over (see apps/server/src/ingress).
 */

export interface InngestEvent {
  name: string;
  data?: Record<string, unknown>;
}

export interface RuntimeContext {
  /** Durable runtime context: lives as long as the bundle, shared across runs. */
  appId: string;
  runs: Map<string, { status: "queued" | "completed"; event: InngestEvent; output?: unknown }>;
}

export interface InngestFunction {
  id: string;
  trigger: string;
  run: (event: InngestEvent, runtime: RuntimeContext) => unknown;
}

export interface InngestBundle {
  client: { id: string; send: (event: InngestEvent) => string };
  functions: readonly InngestFunction[];
  runtime: RuntimeContext;
}

export function createInngestBundle(appId: string, functions: readonly InngestFunction[]): InngestBundle {
  const runtime: RuntimeContext = { appId, runs: new Map() };
  let counter = 0;
  const client = {
    id: appId,
    send(event: InngestEvent): string {
      counter += 1;
      const runId = `${appId}-run-${counter}`;
      runtime.runs.set(runId, { status: "queued", event });
      return runId;
    },
  };
  return { client, functions, runtime };
}

/** Builds the runtime request handler for a bundle. */
export function createServeHandler(bundle: InngestBundle): (request: Request) => Promise<Response> {
  return async (request: Request): Promise<Response> => {
    if (request.method !== "POST") {
      return Response.json({ appId: bundle.client.id, functions: bundle.functions.map((f) => f.id) });
    }
    let payload: { event?: InngestEvent; runId?: string };
    try {
      payload = (await request.json()) as typeof payload;
    } catch {
      return Response.json({ error: "runtime payload is not JSON" }, { status: 400 });
    }
    const event = payload.event;
    if (!event || typeof event.name !== "string") {
      return Response.json({ error: "runtime payload has no event" }, { status: 400 });
    }
    const matched = bundle.functions.filter((f) => f.trigger === event.name);
    const outputs = matched.map((f) => ({ id: f.id, output: f.run(event, bundle.runtime) }));
    if (payload.runId && bundle.runtime.runs.has(payload.runId)) {
      bundle.runtime.runs.set(payload.runId, { status: "completed", event, output: outputs });
    }
    return Response.json({ dispatched: event.name, functions: outputs.map((o) => o.id) });
  };
}
