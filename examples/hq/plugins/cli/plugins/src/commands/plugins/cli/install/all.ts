/**
 * `rawr plugins cli install --all`: enables every toolkit plugin (`plugins/cli/*`).
 *
 * "Channel A" (`rawr plugins ...`) is the command surface; the plugins it acts on are chosen
 * by runtime identity (`rawr.kind` + `rawr.capability`), never by a channel field.
 */

import { enablePlugins, pluginStatuses } from "../../../../lib/install-state";

export async function installAllCliPlugins(instanceRoot: string, log: (line: string) => void): Promise<number> {
  const statuses = await pluginStatuses(instanceRoot);
  const pending = statuses.filter((s) => s.plugin.kind === "toolkit" && !s.enabled).map((s) => s.plugin);
  const changed = await enablePlugins(instanceRoot, pending);
  for (const plugin of changed) {
    log(`installed ${plugin.name} (toolkit:${plugin.capability})`);
  }
  const already = statuses.filter((s) => s.plugin.kind === "toolkit" && s.enabled).length;
  log(`${changed.length} installed, ${already} already installed`);
  return 0;
}
