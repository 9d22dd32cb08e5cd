/**
 * The route boundary matrix: every caller (first-party, external, unlabeled) against every
 * route family, with the contract's expected status per cell.
 */

import { describe, expect, it } from "vitest";
import { callerHeaders, nowSeconds, send, sign, testHost, TEST_SIGNING_KEY, type Caller } from "./support/host";

const callers: Caller[] = ["first-party", "external", "unlabeled"];
const runtimeEvent = JSON.stringify({ event: { name: "support/ticket.escalate", data: { id: "T-1" } } });

describe("suite:web:first-party-rpc", () => {
  it("serves a first-party POST /rpc call", async () => {
    const res = await send(testHost(), "POST", "/rpc/hq/whoami", { headers: callerHeaders("first-party") });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ json: { callerSurface: "first-party" } });
  });

  it("serves a first-party GET /rpc call with query input", async () => {
    const input = encodeURIComponent(JSON.stringify({ id: "T-1" }));
    const res = await send(testHost(), "GET", `/rpc/support/tickets/get?input=${input}`, {
      headers: callerHeaders("first-party"),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ json: { id: "T-1", title: "Printer on fire" } });
  });

  it("answers 404 for an unknown procedure", async () => {
    const res = await send(testHost(), "POST", "/rpc/hq/nope", { headers: callerHeaders("first-party") });
    expect(res.status).toBe(404);
  });

  it("assertion:reject-rpc-from-external-callers: external and unlabeled callers get 403 on /rpc (POST and GET)", async () => {
    const app = testHost();
    for (const caller of ["external", "unlabeled"] as const) {
      for (const method of ["POST", "GET"]) {
        const res = await send(app, method, "/rpc/hq/health", { headers: callerHeaders(caller) });
        expect(res.status, `${caller} ${method} /rpc/hq/health`).toBe(403);
      }
      const bare = await send(app, "POST", "/rpc", { headers: callerHeaders(caller) });
      expect(bare.status, `${caller} POST /rpc`).toBe(403);
    }
  });
});

describe("suite:web:published-openapi", () => {
  it.each(callers)("serves known procedures on /api/orpc/* to a %s caller", async (caller) => {
    const res = await send(testHost(), "POST", "/api/orpc/support/tickets/get", {
      headers: { ...callerHeaders(caller), "content-type": "application/json" },
      body: JSON.stringify({ id: "T-1" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ json: { id: "T-1", title: "Printer on fire" } });
  });

  it("reports external callers as external to procedures", async () => {
    const res = await send(testHost(), "GET", "/api/orpc/hq/whoami", { headers: callerHeaders("external") });
    expect(await res.json()).toEqual({ json: { callerSurface: "external" } });
  });

  it("answers 404 for unknown procedures", async () => {
    const res = await send(testHost(), "GET", "/api/orpc/hq/missing", { headers: callerHeaders("external") });
    expect(res.status).toBe(404);
  });
});

describe("suite:api:boundary", () => {
  const matrix: { caller: Caller; method: string; path: string; status: number }[] = [
    ...callers.map((caller) => ({ caller, method: "POST", path: "/rpc/hq/health", status: caller === "first-party" ? 200 : 403 })),
    ...callers.map((caller) => ({ caller, method: "GET", path: "/rpc/hq/health", status: caller === "first-party" ? 200 : 403 })),
    ...callers.map((caller) => ({ caller, method: "GET", path: "/api/orpc/hq/health", status: 200 })),
    ...callers.map((caller) => ({ caller, method: "POST", path: "/api/workflows/support/trigger", status: 202 })),
    ...callers.map((caller) => ({ caller, method: "POST", path: "/api/workflows/unknown/trigger", status: 404 })),
    ...callers.map((caller) => ({ caller, method: "POST", path: "/api/inngest", status: 401 })),
  ];

  it.each(matrix)("$caller $method $path → $status", async ({ caller, method, path, status }) => {
    const res = await send(testHost(), method, path, { headers: callerHeaders(caller), body: method === "GET" ? undefined : "{}" });
    expect(res.status).toBe(status);
  });

  it("has no dedicated /rpc/workflows mount", async () => {
    const res = await send(testHost(), "POST", "/rpc/workflows/support/trigger", { headers: callerHeaders("first-party") });
    expect(res.status).toBe(404);
  });

  it("assertion:reject-api-inngest-from-caller-paths: first-party and external callers are rejected on /api/inngest", async () => {
    const app = testHost();
    for (const caller of ["first-party", "external"] as const) {
      for (const method of ["POST", "GET", "PUT"]) {
        const res = await send(app, method, "/api/inngest", {
          headers: callerHeaders(caller),
          body: method === "GET" ? undefined : runtimeEvent,
        });
        expect(res.status, `${caller} ${method} /api/inngest`).toBe(401);
      }
    }
  });
});

describe("suite:runtime:ingress", () => {
  it("dispatches a validly signed runtime request", async () => {
    const res = await send(testHost(), "POST", "/api/inngest", {
      headers: { "x-inngest-signature": sign(runtimeEvent, TEST_SIGNING_KEY, nowSeconds()) },
      body: runtimeEvent,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ dispatched: "support/ticket.escalate", functions: ["escalate-ticket"] });
  });

  it("assertion:runtime-ingress-no-caller-boundary-semantics: caller labels neither grant nor change ingress access", async () => {
    const app = testHost();
    const signature = sign(runtimeEvent, TEST_SIGNING_KEY, nowSeconds());
    for (const caller of callers) {
      const unsigned = await send(app, "POST", "/api/inngest", { headers: callerHeaders(caller), body: runtimeEvent });
      expect(unsigned.status, `${caller} unsigned`).toBe(401);
      const signed = await send(app, "POST", "/api/inngest", {
        headers: { ...callerHeaders(caller), "x-inngest-signature": signature },
        body: runtimeEvent,
      });
      expect(signed.status, `${caller} signed`).toBe(200);
    }
  });
});
