/**
 * `rawr plugins web enable <capability>`: enables one web plugin in this instance.
 *
 * "Channel B" (`rawr plugins web ...`) is a command surface only: which command enabled a
 * plugin is not recorded anywhere, and nothing at runtime branches on it.
 */

import { enablePlugins } from "../../../lib/install-state";
import { listWorkspacePlugins } from "../../../lib/workspace-plugins";

export interface EnableWebOptions {
  instanceRoot: string;
  capability: string;
  /** Chat channel to announce the change in (e.g. a Slack channel id); optional. */
  notify?: string;
}

export async function enableWebPlugin(options: EnableWebOptions, log: (line: string) => void): Promise<number> {
  const plugins = await listWorkspacePlugins(options.instanceRoot);
  const plugin = plugins.find((p) => p.kind === "web" && p.capability === options.capability);
  if (plugin === undefined) {
    log(`no web plugin with capability "${options.capability}" in plugins/web`);
    return 1;
  }
  const changed = await enablePlugins(options.instanceRoot, [plugin]);
  log(changed.length > 0 ? `enabled ${plugin.name} (web:${plugin.capability})` : `${plugin.name} is already enabled`);
  const channelId = options.notify?.trim();
  if (channelId) {
    log(`announcement queued for chat ${channelId}`);
  }
  return 0;
}
