/**
 * The CLI's view of install state: resolves the instance root and pairs each discovered
 * workspace plugin with whether it is enabled. State handling itself lives in
 * `@rawr/hq/install/state` so the CLI and the server agree on one format.
 */

import { isEnabled, loadInstallState, saveInstallState, withEnabled } from "@rawr/hq/install/state";

import { listWorkspacePlugins, type WorkspacePlugin } from "./workspace-plugins";

export interface PluginStatus {
  plugin: WorkspacePlugin;
  enabled: boolean;
}

/** Every workspace plugin of the instance with its install status. */
export async function pluginStatuses(instanceRoot: string): Promise<PluginStatus[]> {
  const [plugins, state] = await Promise.all([listWorkspacePlugins(instanceRoot), loadInstallState(instanceRoot)]);
  return plugins.map((plugin) => ({ plugin, enabled: isEnabled(state, plugin) }));
}

/**
 * Enables the given plugins in one state write. Plugins already enabled are left as they
 * are; the result lists only what changed.
 */
export async function enablePlugins(instanceRoot: string, plugins: WorkspacePlugin[], now = new Date()): Promise<WorkspacePlugin[]> {
  let state = await loadInstallState(instanceRoot);
  const changed: WorkspacePlugin[] = [];
  for (const plugin of plugins) {
    const next = withEnabled(state, plugin, now);
    if (next !== state) {
      changed.push(plugin);
      state = next;
    }
  }
  if (changed.length > 0) {
    await saveInstallState(instanceRoot, state);
  }
  return changed;
}
