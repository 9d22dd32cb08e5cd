/**
 * The manifest authority of this RAWR HQ: the one place the runtime is composed. The host
 * (apps/server) consumes these seams; it never builds routers, bundles or handlers itself.
 */

import { createInngestBundle, createServeHandler, type InngestBundle } from "@rawr/runtime/inngest";
import { procedure, router } from "@rawr/runtime/orpc";
import { createTriggerRouter } from "@rawr/runtime/workflows";

const capabilities = {
  support: { pathPrefix: "/api/workflows/support" },
  billing: { pathPrefix: "/api/workflows/billing" },
} as const;

const tickets = new Map<string, { id: string; title: string }>([
  ["T-1", { id: "T-1", title: "Printer on fire" }],
]);

const orpcRouter = router({
  hq: {
    health: procedure(() => ({ ok: true })),
    whoami: procedure((_input: unknown, ctx) => ({ callerSurface: ctx.callerSurface })),
  },
  support: {
    tickets: {
      get: procedure((input: { id?: string } | undefined) => {
        const ticket = input?.id ? tickets.get(input.id) : undefined;
        return ticket ?? { error: "no such ticket" };
      }),
      list: procedure(() => [...tickets.values()]),
    },
  },
});

export const rawrHqManifest = {
  orpc: {
    router: orpcRouter,
  },
  workflows: {
    capabilities,
    triggerRouter: createTriggerRouter({
      support: "support/ticket.escalate",
      billing: "billing/invoice.reconcile",
    }),
  },
  inngest: {
    bundleFactory: (): InngestBundle =>
      createInngestBundle("rawr-hq", [
        { id: "escalate-ticket", trigger: "support/ticket.escalate", run: (event) => ({ escalated: event.data ?? {} }) },
        { id: "reconcile-invoice", trigger: "billing/invoice.reconcile", run: () => ({ reconciled: true }) },
      ]),
    serveHandlerFactory: (bundle: InngestBundle) => createServeHandler(bundle),
  },
} as const;

export type RawrHqManifest = typeof rawrHqManifest;
