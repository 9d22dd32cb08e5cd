/**
 * The plugin manifest contract: what `plugins/<root>/<name>/package.json` must declare,
 * and the one parser both workspace discovery paths use.
 *
 * Runtime identity is `rawr.kind` + `rawr.capability` (+ registration in rawr.hq.ts).
 * Command surfaces are not runtime metadata and have no place here.
 */

export const PLUGIN_KINDS = ["toolkit", "agent", "web", "api", "workflows"] as const;
export type PluginKind = (typeof PLUGIN_KINDS)[number];

/** Discovery root (the directory under `plugins/`) → the kind its plugins declare. */
export const DISCOVERY_ROOT_KINDS = {
  cli: "toolkit",
  agents: "agent",
  web: "web",
  api: "api",
  workflows: "workflows",
} as const satisfies Record<string, PluginKind>;

export type DiscoveryRoot = keyof typeof DISCOVERY_ROOT_KINDS;

/** Every discovery root, in scan order. */
export const DISCOVERY_ROOTS = Object.keys(DISCOVERY_ROOT_KINDS) as DiscoveryRoot[];

export interface PluginManifest {
  name: string;
  kind: PluginKind;
  capability: string;
}

export class PluginManifestError extends Error {
  constructor(
    readonly manifestPath: string,
    problem: string,
  ) {
    super(`${manifestPath}: ${problem}`);
  }
}

/** Parses a manifest found under `plugins/<root>/`; throws on any contract violation. */
export function parsePluginManifest(
  manifestPath: string,
  root: DiscoveryRoot,
  json: unknown,
): PluginManifest {
  if (!isRecord(json)) {
    throw new PluginManifestError(manifestPath, "manifest is not a JSON object");
  }
  const rawr = json.rawr;
  if (!isRecord(rawr)) {
    throw new PluginManifestError(manifestPath, "missing `rawr` object");
  }
  const kind = rawr.kind;
  if (typeof kind !== "string" || !isPluginKind(kind)) {
    throw new PluginManifestError(manifestPath, `rawr.kind must be one of ${PLUGIN_KINDS.join(", ")}`);
  }
  const expected = DISCOVERY_ROOT_KINDS[root];
  if (kind !== expected) {
    throw new PluginManifestError(manifestPath, `rawr.kind is "${kind}" but plugins/${root} requires "${expected}"`);
  }
  const capability = rawr.capability;
  if (typeof capability !== "string" || capability.trim() === "") {
    throw new PluginManifestError(manifestPath, "rawr.capability must be a non-empty string");
  }
  const name = typeof json.name === "string" ? json.name : manifestPath;
  return { name, kind, capability: capability.trim() };
}

function isPluginKind(value: string): value is PluginKind {
  return (PLUGIN_KINDS as readonly string[]).includes(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
