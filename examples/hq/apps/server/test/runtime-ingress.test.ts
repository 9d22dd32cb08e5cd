/**
 * Signed runtime ingress: the signature scheme and the rejection of unsigned, forged,
 * tampered and expired requests before anything is dispatched.
 */

import { describe, expect, it, vi } from "vitest";
import { computeSignature, signingKeyText, verifyInngestSignature } from "../src/ingress/verify-signature";
import { nowSeconds, send, sign, testHost, TEST_FALLBACK_KEY, TEST_SIGNING_KEY } from "./support/host";

const body = JSON.stringify({ event: { name: "billing/invoice.reconcile" } });

describe("suite:runtime:ingress", () => {
  it("strips the signkey-<env>- prefix and uses the rest as text", () => {
    expect(signingKeyText(TEST_SIGNING_KEY)).toBe("8f3c2a1b9d7e6f5a4c3b2a1908f7e6d5");
    const t = "1700000000";
    expect(`t=${t}&s=${computeSignature(new TextEncoder().encode(body), t, TEST_SIGNING_KEY)}`).toBe(
      sign(body, TEST_SIGNING_KEY, 1700000000),
    );
  });

  it("accepts the fallback key", async () => {
    const res = await send(testHost(), "POST", "/api/inngest", {
      headers: { "x-inngest-signature": sign(body, TEST_FALLBACK_KEY, nowSeconds()) },
      body,
    });
    expect(res.status).toBe(200);
  });

  it.each([
    ["unsigned", undefined],
    ["malformed", "garbage"],
    ["forged (wrong key)", sign(body, "signkey-test-not-the-key", nowSeconds())],
    ["expired (over 5 minutes old)", sign(body, TEST_SIGNING_KEY, nowSeconds() - 301)],
    ["from the future", sign(body, TEST_SIGNING_KEY, nowSeconds() + 3600)],
    ["signed over another body", sign(`${body} `, TEST_SIGNING_KEY, nowSeconds())],
  ])("rejects a %s request with 401", async (_label, signature) => {
    const res = await send(testHost(), "POST", "/api/inngest", {
      headers: signature ? { "x-inngest-signature": signature } : {},
      body,
    });
    expect(res.status).toBe(401);
  });

  it("accepts a signature just inside the 5 minute window", async () => {
    const res = await send(testHost(), "POST", "/api/inngest", {
      headers: { "x-inngest-signature": sign(body, TEST_SIGNING_KEY, nowSeconds() - 299) },
      body,
    });
    expect(res.status).toBe(200);
  });

  it("never dispatches a rejected request", async () => {
    const serve = vi.fn();
    const verdict = verifyInngestSignature({
      body: new TextEncoder().encode(body),
      header: sign(body, "signkey-test-forged", nowSeconds()),
      keys: [TEST_SIGNING_KEY],
      nowSeconds: nowSeconds(),
    });
    if (verdict.ok) serve();
    expect(verdict).toEqual({ ok: false, reason: "signature mismatch" });
    expect(serve).not.toHaveBeenCalled();
  });

  it("rejects everything when no signing key is configured", async () => {
    const { createHostApp } = await import("../src/rawr");
    const app = createHostApp({ signingKeys: [], now: () => nowSeconds() * 1000 });
    const res = await app.fetch(
      new Request("http://hq.test/api/inngest", {
        method: "POST",
        headers: { "x-inngest-signature": sign(body, TEST_SIGNING_KEY, nowSeconds()) },
        body,
      }),
    );
    expect(res.status).toBe(401);
  });
});
