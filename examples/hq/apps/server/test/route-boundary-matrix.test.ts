/**
 * The route boundary matrix, table-driven: `MATRIX_CASES` holds one case per caller × route
 * family cell, each carrying its suite ID and assertion key; one test sends every HTTP case
 * to the host, one runs the in-process and static cases, and two tests check the table
 * itself (every required ID has a case; the metadata is consistent). The detailed tests
 * after it probe each family further.
 */

import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { rawrHqManifest } from "../../../rawr.hq";
import { createInProcessClient } from "../../../plugins/cli/plugins/src/lib/hq-client";
import { callerHeaders, nowSeconds, send, sign, testHost, TEST_SIGNING_KEY, type Caller } from "./support/host";

const callers: Caller[] = ["first-party", "external", "unlabeled"];
const runtimeEvent = JSON.stringify({ event: { name: "support/ticket.escalate", data: { id: "T-1" } } });
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

const REQUIRED_SUITE_IDS = [
  "suite:web:first-party-rpc",
  "suite:web:published-openapi",
  "suite:cli:in-process",
  "suite:api:boundary",
  "suite:workflow:trigger-status",
  "suite:runtime:ingress",
  "suite:cross-surface:metadata-import-boundary",
] as const;

const REQUIRED_NEGATIVE_ASSERTION_KEYS = [
  "assertion:reject-api-inngest-from-caller-paths",
  "assertion:reject-rpc-from-external-callers",
  "assertion:runtime-ingress-no-caller-boundary-semantics",
  "assertion:in-process-no-local-http-self-call",
] as const;

type HttpCase = {
  kind: "http";
  suiteId: (typeof REQUIRED_SUITE_IDS)[number];
  assertionKey: string;
  caller: Caller | "runtime";
  description: string;
  method: string;
  path: string;
  signed?: boolean;
  expectedStatus: number;
};

type InProcessCase = {
  kind: "in-process";
  suiteId: "suite:cli:in-process";
  assertionKey: string;
  description: string;
  invoke: () => Promise<unknown>;
};

type StaticCase = {
  kind: "static";
  suiteId: "suite:cross-surface:metadata-import-boundary";
  assertionKey: string;
  description: string;
  check: () => Promise<void>;
};

type MatrixCase = HttpCase | InProcessCase | StaticCase;

const MATRIX_CASES: MatrixCase[] = [
  {
    kind: "http",
    suiteId: "suite:web:first-party-rpc",
    assertionKey: "assertion:first-party-rpc-served",
    caller: "first-party",
    description: "first-party callers reach /rpc procedures",
    method: "POST",
    path: "/rpc/hq/health",
    expectedStatus: 200,
  },
  {
    kind: "http",
    suiteId: "suite:web:first-party-rpc",
    assertionKey: "assertion:reject-api-inngest-from-caller-paths",
    caller: "first-party",
    description: "first-party callers are rejected on /api/inngest",
    method: "POST",
    path: "/api/inngest",
    expectedStatus: 401,
  },
  {
    kind: "http",
    suiteId: "suite:web:published-openapi",
    assertionKey: "assertion:published-openapi-served",
    caller: "external",
    description: "external callers use the published /api/orpc family",
    method: "GET",
    path: "/api/orpc/hq/health",
    expectedStatus: 200,
  },
  {
    kind: "http",
    suiteId: "suite:api:boundary",
    assertionKey: "assertion:reject-rpc-from-external-callers",
    caller: "external",
    description: "external callers are rejected on /rpc",
    method: "POST",
    path: "/rpc/hq/health",
    expectedStatus: 403,
  },
  {
    kind: "http",
    suiteId: "suite:api:boundary",
    assertionKey: "assertion:reject-rpc-from-external-callers",
    caller: "unlabeled",
    description: "unlabeled callers are rejected on /rpc by default",
    method: "GET",
    path: "/rpc/hq/health",
    expectedStatus: 403,
  },
  {
    kind: "http",
    suiteId: "suite:api:boundary",
    assertionKey: "assertion:reject-api-inngest-from-caller-paths",
    caller: "external",
    description: "external callers are rejected on /api/inngest",
    method: "POST",
    path: "/api/inngest",
    expectedStatus: 401,
  },
  {
    kind: "http",
    suiteId: "suite:workflow:trigger-status",
    assertionKey: "assertion:workflow-capability-routed",
    caller: "external",
    description: "a declared capability's trigger is served under /api/workflows",
    method: "POST",
    path: "/api/workflows/support/trigger",
    expectedStatus: 202,
  },
  {
    kind: "http",
    suiteId: "suite:runtime:ingress",
    assertionKey: "assertion:runtime-ingress-no-caller-boundary-semantics",
    caller: "runtime",
    description: "a signed runtime request is dispatched without caller labels",
    method: "POST",
    path: "/api/inngest",
    signed: true,
    expectedStatus: 200,
  },
  {
    kind: "in-process",
    suiteId: "suite:cli:in-process",
    assertionKey: "assertion:in-process-no-local-http-self-call",
    description: "the CLI calls manifest procedures in-process",
    invoke: async () => createInProcessClient(rawrHqManifest.orpc.router).call("hq.whoami"),
  },
  {
    kind: "static",
    suiteId: "suite:cross-surface:metadata-import-boundary",
    assertionKey: "assertion:metadata-import-boundary-shared-parser",
    description: "both discovery surfaces read manifests through the shared contract",
    check: async () => {
      const hq = await readFile(path.join(repoRoot, "packages/hq/src/workspace/plugins.ts"), "utf8");
      const cli = await readFile(path.join(repoRoot, "plugins/cli/plugins/src/lib/workspace-plugins.ts"), "utf8");
      expect(hq).toContain("plugin-manifest-contract");
      expect(cli).toContain("@rawr/hq/workspace");
    },
  },
];

describe("route boundary matrix", () => {
  it("has a case for every required suite ID and negative assertion", () => {
    const suites = new Set(MATRIX_CASES.map((c) => c.suiteId));
    const keys = new Set(MATRIX_CASES.map((c) => c.assertionKey));
    for (const id of REQUIRED_SUITE_IDS) {
      expect(suites.has(id), `no case for ${id}`).toBe(true);
    }
    for (const key of REQUIRED_NEGATIVE_ASSERTION_KEYS) {
      expect(keys.has(key), `no case for ${key}`).toBe(true);
    }
  });

  it("keeps caller-path cases on /api/inngest rejecting", () => {
    const httpCases = MATRIX_CASES.filter((c): c is HttpCase => c.kind === "http");
    for (const c of httpCases) {
      if (c.path === "/api/inngest" && c.caller !== "runtime") {
        expect(c.expectedStatus).toBeGreaterThanOrEqual(400);
      }
    }
  });

  it("executes the HTTP route cases", async () => {
    const app = testHost();
    const httpCases = MATRIX_CASES.filter((c): c is HttpCase => c.kind === "http");
    for (const c of httpCases) {
      const headers: Record<string, string> =
        c.caller === "runtime" ? {} : { ...callerHeaders(c.caller), "content-type": "application/json" };
      if (c.signed) {
        headers["x-inngest-signature"] = sign(runtimeEvent, TEST_SIGNING_KEY, nowSeconds());
      }
      const res = await send(app, c.method, c.path, {
        headers,
        body: c.method === "GET" ? undefined : c.path === "/api/inngest" ? runtimeEvent : "{}",
      });
      expect(res.status, `${c.suiteId} :: ${c.description}`).toBe(c.expectedStatus);
    }
  });

  it("executes the in-process and static cases", async () => {
    for (const c of MATRIX_CASES) {
      if (c.kind === "in-process") {
        expect(await c.invoke()).toBeDefined();
      } else if (c.kind === "static") {
        await c.check();
      }
    }
  });
});

describe("first-party RPC", () => {
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

  it("external and unlabeled callers get 403 on /rpc (POST and GET)", async () => {
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

describe("published OpenAPI", () => {
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

describe("caller boundary", () => {
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

  it("first-party and external callers are rejected on /api/inngest", async () => {
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

describe("runtime ingress", () => {
  it("dispatches a validly signed runtime request", async () => {
    const res = await send(testHost(), "POST", "/api/inngest", {
      headers: { "x-inngest-signature": sign(runtimeEvent, TEST_SIGNING_KEY, nowSeconds()) },
      body: runtimeEvent,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ dispatched: "support/ticket.escalate", functions: ["escalate-ticket"] });
  });

  it("caller labels neither grant nor change ingress access", async () => {
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
