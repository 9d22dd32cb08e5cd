/**
 * Install state: which workspace plugins are enabled in this HQ instance.
 *
 * Entries are keyed by runtime identity, `rawr.kind` + `rawr.capability` (as parsed by the
 * shared manifest contract). The pre-migration state keyed them by release channel and
 * template role; those fields are gone and old state files are rewritten on first save.
 */

import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

import type { PluginKind, PluginManifest } from "../workspace/plugin-manifest-contract";

export interface InstallEntry {
  kind: PluginKind;
  capability: string;
  /** The package name at the time it was enabled, for messages only. */
  name: string;
  enabledAt: string;
}

export interface InstallState {
  version: 2;
  entries: InstallEntry[];
}

/** The identity under which a plugin is recorded. */
export function installKey(plugin: Pick<PluginManifest, "kind" | "capability">): string {
  return `${plugin.kind}:${plugin.capability}`;
}

/** State lives in the instance root, never in a global location. */
export function statePath(instanceRoot: string): string {
  return path.join(instanceRoot, ".rawr", "install-state.json");
}

export async function loadInstallState(instanceRoot: string): Promise<InstallState> {
  const text = await readFile(statePath(instanceRoot), "utf8").catch(() => undefined);
  if (text === undefined) {
    return { version: 2, entries: [] };
  }
  const parsed = JSON.parse(text) as { entries?: unknown };
  const entries = Array.isArray(parsed.entries) ? parsed.entries.filter(isEntry) : [];
  return { version: 2, entries };
}

export async function saveInstallState(instanceRoot: string, state: InstallState): Promise<void> {
  const file = statePath(instanceRoot);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, file);
}

export function isEnabled(state: InstallState, plugin: Pick<PluginManifest, "kind" | "capability">): boolean {
  const key = installKey(plugin);
  return state.entries.some((entry) => installKey(entry) === key);
}

export function withEnabled(state: InstallState, plugin: PluginManifest, now: Date): InstallState {
  if (isEnabled(state, plugin)) {
    return state;
  }
  const entry: InstallEntry = {
    kind: plugin.kind,
    capability: plugin.capability,
    name: plugin.name,
    enabledAt: now.toISOString(),
  };
  return { version: 2, entries: [...state.entries, entry] };
}

function isEntry(value: unknown): value is InstallEntry {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const entry = value as Partial<InstallEntry>;
  return typeof entry.kind === "string" && typeof entry.capability === "string" && typeof entry.name === "string";
}
