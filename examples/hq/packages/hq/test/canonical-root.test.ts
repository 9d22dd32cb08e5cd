/**
 * Instance isolation: each HQ instance resolves its own canonical root as its default
 * lifecycle authority, and there is no implicit process-wide (singleton) owner.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as canonicalRoot from "../src/lifecycle/canonical-root";
import { createLifecycleAuthority, resolveCanonicalRoot } from "../src/lifecycle/canonical-root";

const made: string[] = [];

/** A throwaway HQ instance: a directory with `rawr.hq.ts` and a nested working directory. */
function instance(): { root: string; nested: string } {
  const root = mkdtempSync(path.join(tmpdir(), "rawr-hq-instance-"));
  made.push(root);
  writeFileSync(path.join(root, "rawr.hq.ts"), "export const rawrHqManifest = {};\n");
  const nested = path.join(root, "plugins", "cli", "plugins");
  mkdirSync(nested, { recursive: true });
  return { root, nested };
}

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("suite:hq:instance-isolation", () => {
  it("assertion:instance-local-canonical-root-default: the canonical root defaults to the instance-local root above each instance's cwd", () => {
    const a = instance();
    const b = instance();
    const processCwd = process.cwd();
    const authA = createLifecycleAuthority({ cwd: a.nested });
    const authB = createLifecycleAuthority({ cwd: b.nested });
    expect(authA.root).toBe(a.root);
    expect(authB.root).toBe(b.root);
    // Creating B did not move A, and neither came from the process's working directory.
    expect(createLifecycleAuthority({ cwd: a.nested }).root).toBe(a.root);
    expect(authA.root).not.toBe(processCwd);
    expect(authA.statePath("install.json")).toBe(path.join(a.root, ".rawr", "install.json"));
    expect(authB.statePath("install.json")).toBe(path.join(b.root, ".rawr", "install.json"));
    // An explicit root still wins over resolution.
    expect(createLifecycleAuthority({ cwd: a.nested, root: b.root }).root).toBe(b.root);
  });

  it("assertion:no-singleton-global-owner: owners are per instance, nothing is held globally, and another root is used only when explicitly given", () => {
    const globalsBefore = new Set(Reflect.ownKeys(globalThis));
    const a = instance();
    const first = createLifecycleAuthority({ cwd: a.root });
    const second = createLifecycleAuthority({ cwd: a.root });
    expect(first.owner).not.toBe(second.owner);
    expect(Reflect.ownKeys(globalThis).filter((k) => !globalsBefore.has(k))).toEqual([]);
    // The module exports functions and constants only: no instance, no cache.
    for (const [name, value] of Object.entries(canonicalRoot)) {
      expect(["function", "string"], name).toContain(typeof value);
    }
    // Another instance's root is the authority only when it is passed explicitly.
    const b = instance();
    expect(createLifecycleAuthority({ cwd: a.root, root: b.root }).root).toBe(b.root);
    expect(createLifecycleAuthority({ cwd: a.root }).root).toBe(a.root);
    // Resolution is not cached: removing the marker changes the answer at once.
    expect(resolveCanonicalRoot(a.nested)).toBe(a.root);
    rmSync(path.join(a.root, "rawr.hq.ts"));
    expect(resolveCanonicalRoot(a.nested)).not.toBe(a.root);
  });

  it("refuses a directory outside any instance", () => {
    const outside = mkdtempSync(path.join(tmpdir(), "rawr-no-instance-"));
    made.push(outside);
    expect(resolveCanonicalRoot(outside)).toBeUndefined();
    expect(() => createLifecycleAuthority({ cwd: outside })).toThrow(/not inside an HQ instance/);
  });
});
