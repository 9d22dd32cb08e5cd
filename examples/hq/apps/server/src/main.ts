/**
 * Entry point: serves the host on 127.0.0.1:$PORT (default 4317), prints
 * `listening on http://127.0.0.1:<port>` once ready, and exits on SIGTERM/SIGINT.
 */

import { serve } from "@hono/node-server";
import { createHostApp, hostOptionsFromEnv } from "./rawr";

const port = Number(process.env.PORT ?? "4317");
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got ${process.env.PORT}`);
  process.exit(2);
}
if (!process.env.INNGEST_SIGNING_KEY) {
  console.warn("INNGEST_SIGNING_KEY is not set: every /api/inngest request will be rejected");
}

const app = createHostApp(hostOptionsFromEnv(process.env));
const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
});

function shutdown(): void {
  server.close(() => process.exit(0));
  // Keep-alive connections must not hold the process open past a short grace period.
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
