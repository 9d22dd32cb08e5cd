/**
 * `rawr plugins scaffold web-plugin <capability>`: writes a new web plugin under
 * `plugins/web/<capability>/` whose manifest follows the contract: `rawr.kind` and
 * `rawr.capability`, nothing else. (Scaffolds used to stamp a template role and a publish
 * tier into the manifest; both are hard-deleted.)
 */

import { mkdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";

export interface ScaffoldWebOptions {
  instanceRoot: string;
  capability: string;
}

export function webPluginManifest(capability: string): Record<string, unknown> {
  return {
    name: `@rawr/plugin-${capability}`,
    version: "0.1.0",
    private: true,
    type: "module",
    scripts: {
      // The host's OpenAPI suite id; unrelated to plugin metadata.
      test: "vitest run --project suite:web:published-openapi",
    },
    rawr: { kind: "web", capability },
  };
}

export async function scaffoldWebPlugin(options: ScaffoldWebOptions, log: (line: string) => void): Promise<number> {
  if (!/^[a-z][a-z0-9-]*$/.test(options.capability)) {
    log(`capability "${options.capability}" must be lower-case words joined by dashes`);
    return 1;
  }
  const dir = path.join(options.instanceRoot, "plugins", "web", options.capability);
  if (await stat(dir).then(() => true, () => false)) {
    log(`${path.relative(options.instanceRoot, dir)} already exists`);
    return 1;
  }
  await mkdir(path.join(dir, "src"), { recursive: true });
  await writeFile(path.join(dir, "package.json"), `${JSON.stringify(webPluginManifest(options.capability), null, 2)}\n`);
  await writeFile(path.join(dir, "src", "index.ts"), `export const capability = ${JSON.stringify(options.capability)};\n`);
  log(`scaffolded plugins/web/${options.capability}`);
  return 0;
}
