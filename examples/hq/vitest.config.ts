import { defineConfig } from "vitest/config";

// The host, lifecycle, CLI and observability suites, all in-process (no sockets).
export default defineConfig({
  test: {
    include: [
      "apps/server/test/**/*.test.ts",
      "packages/hq/test/**/*.test.ts",
      "plugins/cli/plugins/test/**/*.test.ts",
      "packages/coordination-observability/test/**/*.test.ts",
    ],
    environment: "node",
  },
});
