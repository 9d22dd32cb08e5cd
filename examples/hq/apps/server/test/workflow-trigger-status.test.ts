/**
 * The caller-facing workflow boundary: capabilities come from the manifest, triggers start
 * runs on the runtime, and status reads them back.
 */

import { describe, expect, it } from "vitest";
import { rawrHqManifest } from "../../../rawr.hq";
import { callerHeaders, send, testHost } from "./support/host";

describe("suite:workflow:trigger-status", () => {
  it("triggers a run for a declared capability and reads its status", async () => {
    const app = testHost();
    const started = await send(app, "POST", "/api/workflows/support/trigger", {
      headers: callerHeaders("external"),
      body: JSON.stringify({ ticket: "T-1" }),
    });
    expect(started.status).toBe(202);
    const { runId, capability } = (await started.json()) as { runId: string; capability: string };
    expect(capability).toBe("support");
    const status = await send(app, "GET", `/api/workflows/support/runs/${runId}`);
    expect(status.status).toBe(200);
    expect(await status.json()).toEqual({ capability: "support", runId, status: "queued" });
  });

  it("serves every capability declared in the manifest, under its pathPrefix", async () => {
    const app = testHost();
    for (const [capability, { pathPrefix }] of Object.entries(rawrHqManifest.workflows.capabilities)) {
      const res = await send(app, "GET", pathPrefix);
      expect(res.status, pathPrefix).toBe(200);
      expect(((await res.json()) as { capability: string }).capability).toBe(capability);
    }
  });

  it("answers 404 for an undeclared capability", async () => {
    const res = await send(testHost(), "POST", "/api/workflows/payroll/trigger", { body: "{}" });
    expect(res.status).toBe(404);
  });

  it("does not show one capability's runs under another", async () => {
    const app = testHost();
    const started = await send(app, "POST", "/api/workflows/support/trigger", { body: "{}" });
    const { runId } = (await started.json()) as { runId: string };
    const res = await send(app, "GET", `/api/workflows/billing/runs/${runId}`);
    expect(res.status).toBe(404);
  });

  it("keeps runs per host instance", async () => {
    const first = testHost();
    const started = await send(first, "POST", "/api/workflows/support/trigger", { body: "{}" });
    const { runId } = (await started.json()) as { runId: string };
    const other = await send(testHost(), "GET", `/api/workflows/support/runs/${runId}`);
    expect(other.status).toBe(404);
  });
});
