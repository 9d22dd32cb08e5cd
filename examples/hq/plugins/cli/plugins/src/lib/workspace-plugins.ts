/**
 * The CLI's workspace plugin listing. Discovery itself lives in `@rawr/hq/workspace`
 * (one implementation, one manifest parser); this module only orders and looks up.
 */

import { discoverWorkspacePlugins, type WorkspacePlugin } from "@rawr/hq/workspace";

export type { WorkspacePlugin };

export async function listWorkspacePlugins(workspaceRoot: string): Promise<WorkspacePlugin[]> {
  const plugins = await discoverWorkspacePlugins(workspaceRoot);
  return plugins.sort((a, b) => a.root.localeCompare(b.root) || a.name.localeCompare(b.name));
}

export async function findWorkspacePlugin(
  workspaceRoot: string,
  name: string,
): Promise<WorkspacePlugin | undefined> {
  const plugins = await listWorkspacePlugins(workspaceRoot);
  return plugins.find((plugin) => plugin.name === name);
}
