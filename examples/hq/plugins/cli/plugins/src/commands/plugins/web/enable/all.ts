/**
 * `rawr plugins web enable --all`: enables every web plugin of the workspace.
 *
 * Selection is by `rawr.kind === "web"` alone; the old command also filtered on a
 * per-plugin release channel, which no longer exists.
 */

import { enablePlugins } from "../../../../lib/install-state";
import { listWorkspacePlugins } from "../../../../lib/workspace-plugins";

export async function enableAllWebPlugins(instanceRoot: string, log: (line: string) => void): Promise<number> {
  const web = (await listWorkspacePlugins(instanceRoot)).filter((plugin) => plugin.kind === "web");
  if (web.length === 0) {
    log("no web plugins under plugins/web");
    return 0;
  }
  const changed = await enablePlugins(instanceRoot, web);
  for (const plugin of changed) {
    log(`enabled ${plugin.name} (web:${plugin.capability})`);
  }
  log(`${changed.length} of ${web.length} web plugin(s) newly enabled`);
  return 0;
}
