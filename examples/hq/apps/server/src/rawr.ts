/**
 * The RAWR HQ host: one Hono app whose route families are mounted in the contract's order
 * (`/api/inngest`, then `/api/workflows/*`, then `/rpc` and `/api/orpc/*`), every seam taken
 * from the manifest authority (`rawr.hq.ts`).
 */

import { Hono } from "hono";
import { rawrHqManifest } from "../../../rawr.hq";
import { verifyInngestSignature, SIGNATURE_HEADER } from "./ingress/verify-signature";
import { registerOrpcRoutes } from "./orpc";
import { handleWorkflowRequest } from "./workflows/routes";

export interface HostOptions {
  /** Inngest signing keys, primary first then the fallback (`signkey-<env>-...`). */
  signingKeys?: readonly (string | undefined)[];
  /** Clock in milliseconds, for signature age checks. */
  now?: () => number;
}

export function createHostApp(options: HostOptions = {}): Hono {
  const app = new Hono();
  registerHostRoutes(app, options);
  return app;
}

/** Reads the host options from the environment (`INNGEST_SIGNING_KEY`, `..._FALLBACK`). */
export function hostOptionsFromEnv(env: NodeJS.ProcessEnv): HostOptions {
  return { signingKeys: [env.INNGEST_SIGNING_KEY, env.INNGEST_SIGNING_KEY_FALLBACK] };
}

function registerHostRoutes(app: Hono, options: HostOptions): void {
  const now = options.now ?? Date.now;
  const signingKeys = (options.signingKeys ?? []).filter((k): k is string => typeof k === "string" && k.length > 0);
  // The durable runtime context: one bundle per host instance, shared by ingress and triggers.
  const runtime = rawrHqManifest.inngest.bundleFactory();
  const serveRuntime = rawrHqManifest.inngest.serveHandlerFactory(runtime);

  app.get("/health", (c) => c.json({ ok: true }));

  // Runtime ingress: the signature is verified on the raw body before anything is dispatched.
  // Caller labels play no part here.
  app.all("/api/inngest", async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const verdict = verifyInngestSignature({
      body,
      header: c.req.header(SIGNATURE_HEADER),
      keys: signingKeys,
      nowSeconds: Math.floor(now() / 1000),
    });
    if (!verdict.ok) {
      return c.json({ error: "runtime ingress signature rejected", reason: verdict.reason }, 401);
    }
    const hasBody = c.req.method !== "GET" && c.req.method !== "HEAD";
    return serveRuntime(new Request(c.req.url, { method: c.req.method, headers: c.req.raw.headers, body: hasBody ? body : undefined }));
  });

  app.all("/api/workflows/:capability/*", (c) =>
    handleWorkflowRequest(c, {
      capabilities: rawrHqManifest.workflows.capabilities,
      triggerRouter: rawrHqManifest.workflows.triggerRouter,
      runtime,
    }),
  );
  app.all("/api/workflows/:capability", (c) =>
    handleWorkflowRequest(c, {
      capabilities: rawrHqManifest.workflows.capabilities,
      triggerRouter: rawrHqManifest.workflows.triggerRouter,
      runtime,
    }),
  );

  registerOrpcRoutes(app, { router: rawrHqManifest.orpc.router });
}
