/**
 * Verification of the runtime ingress signature (the Inngest scheme): the header
 * `X-Inngest-Signature: t=<unix seconds>&s=<hex>` where `s` is HMAC-SHA256 over the raw body
 * bytes followed by the decimal `t`, keyed with the signing key without its `signkey-<env>-`
 * prefix (the rest used as text). Signatures older than the allowed age are rejected, and so
 * are timestamps from the future beyond the same window (a clock-skewed replay is a replay).
 */

import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-inngest-signature";
export const MAX_SIGNATURE_AGE_SECONDS = 5 * 60;

export type SignatureVerdict = { ok: true; key: "primary" | "fallback" } | { ok: false; reason: string };

export interface VerifyInput {
  body: Uint8Array;
  header: string | null | undefined;
  /** Signing keys in order of preference (primary first, then the fallback). */
  keys: readonly string[];
  nowSeconds: number;
  maxAgeSeconds?: number;
}

/** The key material: the signing key with its `signkey-<env>-` prefix removed. */
export function signingKeyText(key: string): string {
  return key.replace(/^signkey-[^-]+-/, "");
}

export function computeSignature(body: Uint8Array, timestamp: string, key: string): string {
  return createHmac("sha256", signingKeyText(key)).update(body).update(timestamp).digest("hex");
}

export function verifyInngestSignature(input: VerifyInput): SignatureVerdict {
  const keys = input.keys.filter((k) => k.length > 0);
  if (keys.length === 0) return { ok: false, reason: "no signing key configured" };
  if (!input.header) return { ok: false, reason: "missing signature" };
  const params = new URLSearchParams(input.header);
  const t = params.get("t");
  const s = params.get("s");
  if (!t || !s || !/^\d+$/.test(t) || !/^[0-9a-f]+$/i.test(s)) {
    return { ok: false, reason: "malformed signature" };
  }
  const age = input.nowSeconds - Number(t);
  const maxAge = input.maxAgeSeconds ?? MAX_SIGNATURE_AGE_SECONDS;
  if (age > maxAge) return { ok: false, reason: "signature expired" };
  if (age < -maxAge) return { ok: false, reason: "signature timestamp is in the future" };
  const given = Buffer.from(s.toLowerCase(), "hex");
  for (const [index, key] of keys.entries()) {
    const expected = Buffer.from(computeSignature(input.body, t, key), "hex");
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      return { ok: true, key: index === 0 ? "primary" : "fallback" };
    }
  }
  return { ok: false, reason: "signature mismatch" };
}
