import { describe, expect, it } from "vitest";
import { runEvent, traceLinks } from "../src/index";

describe("observability contract", () => {
  it("stamps a run event with an id and a time", () => {
    const at = new Date("2026-02-21T00:00:00Z");
    const e = runEvent({ run: "r-1", workflow: "sync", kind: "run.started", status: "running" }, at);
    expect(e.id).toMatch(/^event-/);
    expect(e.at).toBe("2026-02-21T00:00:00.000Z");
    expect(e.status).toBe("running");
  });

  it("links a run to its host timeline and engine page", () => {
    const [timeline, engine] = traceLinks("http://127.0.0.1:3000/", "r 7");
    expect(timeline.href).toBe("http://127.0.0.1:3000/api/orpc/coordination/runs/r%207/timeline");
    expect(engine.href).toBe("http://localhost:8288/runs/r%207");
  });

  it("prefers the engine's own run id when it is known", () => {
    const [, engine] = traceLinks("http://h", "r-1", { url: "http://engine:9000", runId: "e-42" });
    expect(engine.href).toBe("http://engine:9000/runs/e-42");
  });
});
