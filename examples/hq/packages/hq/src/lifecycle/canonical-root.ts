/**
 * The lifecycle authority of one HQ instance, anchored at its canonical root: the nearest
 * directory (from the instance's own working directory) that holds the manifest authority
 * `rawr.hq.ts`. Every instance resolves its own root; nothing is cached at module level and
 * no process-wide owner exists, so two instances (two checkouts, two test workspaces) never
 * share lifecycle state.
 */

import { existsSync, statSync } from "node:fs";
import path from "node:path";

export const CANONICAL_ROOT_MARKER = "rawr.hq.ts";

export interface LifecycleAuthorityOptions {
  /** The instance's working directory; the default root is resolved from here. */
  cwd: string;
  /** An explicit root, overriding resolution. */
  root?: string;
}

export interface LifecycleAuthority {
  readonly root: string;
  /** Identity of this instance's owner; distinct for every authority created. */
  readonly owner: symbol;
  statePath(...segments: string[]): string;
}

/** The nearest ancestor of `start` (inclusive) holding `rawr.hq.ts`, or undefined. */
export function resolveCanonicalRoot(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    const marker = path.join(dir, CANONICAL_ROOT_MARKER);
    if (existsSync(marker) && statSync(marker).isFile()) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function createLifecycleAuthority(options: LifecycleAuthorityOptions): LifecycleAuthority {
  const root = options.root !== undefined ? path.resolve(options.root) : resolveCanonicalRoot(options.cwd);
  if (root === undefined) {
    throw new Error(`no ${CANONICAL_ROOT_MARKER} at or above ${options.cwd}: not inside an HQ instance`);
  }
  const owner = Symbol(`rawr-hq-lifecycle:${root}`);
  return {
    root,
    owner,
    statePath: (...segments: string[]) => path.join(root, ".rawr", ...segments),
  };
}
