/**
 * Workspace plugin discovery: every `plugins/<root>/<name>/package.json` under each
 * discovery root, parsed with the shared manifest contract.
 */

import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

import {
  DISCOVERY_ROOTS,
  parsePluginManifest,
  type DiscoveryRoot,
  type PluginManifest,
} from "./plugin-manifest-contract";

export interface WorkspacePlugin extends PluginManifest {
  root: DiscoveryRoot;
  dir: string;
}

export async function discoverWorkspacePlugins(workspaceRoot: string): Promise<WorkspacePlugin[]> {
  const plugins: WorkspacePlugin[] = [];
  for (const root of DISCOVERY_ROOTS) {
    const rootDir = path.join(workspaceRoot, "plugins", root);
    for (const name of await listPluginDirs(rootDir)) {
      const dir = path.join(rootDir, name);
      const manifestPath = path.join(dir, "package.json");
      const text = await readFile(manifestPath, "utf8").catch(() => undefined);
      if (text === undefined) {
        continue; // a directory without package.json is not a plugin
      }
      const manifest = parsePluginManifest(manifestPath, root, JSON.parse(text));
      plugins.push({ ...manifest, root, dir });
    }
  }
  return plugins;
}

/** Plugin directory names under one root; dot-directories are never plugins. */
async function listPluginDirs(rootDir: string): Promise<string[]> {
  const entries = await readdir(rootDir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort();
}
