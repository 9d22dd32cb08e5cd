// Run events and trace links of the coordination desk: what the host records about a
// workflow run, and where an operator follows it.

export type RunStatus = "queued" | "running" | "succeeded" | "failed";

export interface RunEvent {
  id: string;
  run: string;
  workflow: string;
  kind: string;
  status: RunStatus;
  at: string;
}

let counter = 0;

/** A run event with a fresh id and the time it was made. */
export function runEvent(input: Omit<RunEvent, "id" | "at">, now: Date = new Date()): RunEvent {
  counter += 1;
  return { ...input, id: `event-${now.getTime().toString(36)}-${counter}`, at: now.toISOString() };
}

export interface TraceLink {
  label: string;
  href: string;
}

/** Where a run's timeline lives on the host, and its page in the workflow engine. */
export function traceLinks(
  hostUrl: string,
  run: string,
  engine: { url?: string; runId?: string } = {},
): TraceLink[] {
  const host = hostUrl.replace(/\/+$/, "");
  const engineUrl = (engine.url ?? "http://localhost:8288").replace(/\/+$/, "");
  return [
    { label: "timeline", href: `${host}/api/orpc/coordination/runs/${encodeURIComponent(run)}/timeline` },
    { label: "engine", href: `${engineUrl}/runs/${encodeURIComponent(engine.runId ?? run)}` },
  ];
}
