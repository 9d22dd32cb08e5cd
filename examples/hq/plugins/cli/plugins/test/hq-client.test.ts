/**
 * The CLI reaches HQ procedures in-process: no HTTP request, no socket, no running host.
 */

import http from "node:http";
import https from "node:https";
import net from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { rawrHqManifest } from "../../../../rawr.hq";
import { createInProcessClient, hqStatusLines, UnknownProcedureError } from "../src/lib/hq-client";

/** Spies on every way this process could open an HTTP connection to itself. */
function spyOnNetwork() {
  return [
    vi.spyOn(globalThis, "fetch"),
    vi.spyOn(http, "request"),
    vi.spyOn(http, "get"),
    vi.spyOn(https, "request"),
    vi.spyOn(net, "connect"),
    vi.spyOn(net, "createConnection"),
    vi.spyOn(net.Socket.prototype, "connect"),
  ];
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("suite:cli:in-process", () => {
  it("calls manifest procedures in-process", async () => {
    const client = createInProcessClient(rawrHqManifest.orpc.router);
    await expect(client.call("support.tickets.get", { id: "T-1" })).resolves.toEqual({ id: "T-1", title: "Printer on fire" });
    await expect(client.call("hq.whoami")).resolves.toEqual({ callerSurface: "in-process" });
  });

  it("reports unknown procedures", async () => {
    const client = createInProcessClient(rawrHqManifest.orpc.router);
    await expect(client.call("hq.nope")).rejects.toBeInstanceOf(UnknownProcedureError);
    await expect(client.call("hq")).rejects.toBeInstanceOf(UnknownProcedureError);
  });

  it("the network spies do catch an HTTP self-call", async () => {
    const spies = spyOnNetwork();
    spies[0].mockImplementation(async () => new Response("{}"));
    await fetch("http://127.0.0.1:4317/rpc/hq/health");
    expect(spies[0]).toHaveBeenCalledTimes(1);
  });

  it("assertion:in-process-no-local-http-self-call: a CLI status command opens no HTTP connection", async () => {
    const spies = spyOnNetwork();
    const lines = await hqStatusLines(createInProcessClient(rawrHqManifest.orpc.router));
    expect(lines).toEqual(["health: ok", "caller surface: in-process"]);
    for (const spy of spies) {
      expect(spy).not.toHaveBeenCalled();
    }
  });
});
