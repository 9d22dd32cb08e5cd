/**
 * Test support: an in-process host and an independent implementation of the Inngest signing
 * scheme (so the tests do not trust the code they test).
 */

import { createHmac } from "node:crypto";
import { createHostApp } from "../../src/rawr";

/** The example's test signing key (not a secret). */
export const TEST_SIGNING_KEY = "signkey-test-8f3c2a1b9d7e6f5a4c3b2a1908f7e6d5";
export const TEST_FALLBACK_KEY = "signkey-test-00112233445566778899aabbccddeeff";
export const FIXED_NOW_MS = Date.UTC(2026, 1, 20, 12, 0, 0);

export type Caller = "first-party" | "external" | "unlabeled";

export function testHost() {
  return createHostApp({ signingKeys: [TEST_SIGNING_KEY, TEST_FALLBACK_KEY], now: () => FIXED_NOW_MS });
}

export function callerHeaders(caller: Caller): Record<string, string> {
  return caller === "unlabeled" ? {} : { "x-rawr-caller-surface": caller };
}

/** `t=<seconds>&s=<hex>` with s = HMAC-SHA256(key without `signkey-<env>-`, body + t). */
export function sign(body: string, key: string, tSeconds: number): string {
  const keyText = key.slice(key.indexOf("-", "signkey-".length) + 1);
  const s = createHmac("sha256", keyText).update(body + String(tSeconds)).digest("hex");
  return `t=${tSeconds}&s=${s}`;
}

export const nowSeconds = () => Math.floor(FIXED_NOW_MS / 1000);

export async function send(
  app: ReturnType<typeof testHost>,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<Response> {
  return app.fetch(
    new Request(`http://hq.test${path}`, { method, headers: init.headers, body: init.body }),
  );
}
