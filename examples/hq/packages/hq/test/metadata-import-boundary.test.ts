/**
 * Both workspace discovery paths (the HQ package and the CLI's plugin listing) go through
 * the one shared manifest contract, cover all five roots, and agree with each other.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { listWorkspacePlugins } from "../../../plugins/cli/plugins/src/lib/workspace-plugins";
import { DISCOVERY_ROOTS, PluginManifestError } from "../src/workspace/plugin-manifest-contract";
import { discoverWorkspacePlugins } from "../src/workspace/plugins";

const exampleRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const made: string[] = [];

function workspaceWith(root: string, name: string, rawr: Record<string, unknown>): string {
  const ws = mkdtempSync(path.join(tmpdir(), "rawr-hq-ws-"));
  made.push(ws);
  const dir = path.join(ws, "plugins", root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, rawr }));
  return ws;
}

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const identity = (p: { root: string; name: string; kind: string; capability: string }) =>
  `${p.root}/${p.name}:${p.kind}:${p.capability}`;

describe("suite:cross-surface:metadata-import-boundary", () => {
  it("the HQ and CLI discovery paths find the same plugins in all five roots", async () => {
    const hq = (await discoverWorkspacePlugins(exampleRoot)).map(identity).sort();
    const cli = (await listWorkspacePlugins(exampleRoot)).map(identity).sort();
    expect(cli).toEqual(hq);
    const roots = new Set(hq.map((id) => id.split("/")[0]));
    expect([...roots].sort()).toEqual([...DISCOVERY_ROOTS].sort());
  });

  it("both paths reject a manifest with a hard-deleted key through the shared contract", async () => {
    const ws = workspaceWith("web", "legacy", { kind: "web", capability: "legacy", channel: "B" });
    await expect(discoverWorkspacePlugins(ws)).rejects.toThrow(PluginManifestError);
    await expect(listWorkspacePlugins(ws)).rejects.toThrow(/hard-deleted metadata key\(s\) under rawr: channel/);
  });

  it("both paths reject a missing capability and a kind that does not match its root", async () => {
    const noCapability = workspaceWith("api", "status", { kind: "api" });
    await expect(listWorkspacePlugins(noCapability)).rejects.toThrow(/rawr.capability must be a non-empty string/);
    const wrongKind = workspaceWith("workflows", "sync", { kind: "web", capability: "sync" });
    await expect(discoverWorkspacePlugins(wrongKind)).rejects.toThrow(/plugins\/workflows requires "workflows"/);
  });
});
