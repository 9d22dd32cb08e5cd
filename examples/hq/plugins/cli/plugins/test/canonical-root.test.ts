/**
 * The CLI's lifecycle commands act on the HQ instance they run in: its canonical root is the
 * instance-local one, and another (global) owner root is used only when explicitly given.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLifecycleAuthority } from "../../../../packages/hq/src/lifecycle/canonical-root";

const made: string[] = [];

function instance(): { root: string; pluginDir: string } {
  const root = mkdtempSync(path.join(tmpdir(), "rawr-cli-instance-"));
  made.push(root);
  writeFileSync(path.join(root, "rawr.hq.ts"), "export const rawrHqManifest = {};\n");
  const pluginDir = path.join(root, "plugins", "cli", "plugins");
  mkdirSync(pluginDir, { recursive: true });
  return { root, pluginDir };
}

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("cli lifecycle authority", () => {
  it("defaults the canonical root to the instance-local workspace", () => {
    const current = instance();
    const owner = instance();
    const auth = createLifecycleAuthority({ cwd: current.pluginDir });
    expect(auth.root).toBe(current.root);
    expect(auth.root).not.toBe(owner.root);
  });

  it("uses a global owner root only when explicitly given", () => {
    const current = instance();
    const owner = instance();
    expect(createLifecycleAuthority({ cwd: current.pluginDir, root: owner.root }).root).toBe(owner.root);
    expect(createLifecycleAuthority({ cwd: current.pluginDir }).root).toBe(current.root);
  });
});
