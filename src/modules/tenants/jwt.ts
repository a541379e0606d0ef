import { createSecretKey, type KeyObject } from "node:crypto";
import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTVerifyGetKey } from "jose";
import { LRUCache } from "lru-cache";
import type { Config } from "../../config.js";
import { unauthenticated } from "../../errors.js";

/** The only module that imports jose. */
export interface TokenClaims {
  sub: string;
  tenant: string;
}

export interface VerifiedClaims extends TokenClaims {
  /** Seconds since the epoch (required: a token without exp is refused). */
  exp: number;
}

const HS_ALGORITHMS = ["HS256"];
const ASYMMETRIC_ALGORITHMS = ["RS256", "ES256"];

/** How many verified tokens are kept (a few hundred bytes each): far more than the users active at once. */
const DEFAULT_CACHED_TOKENS = 10_000;

/**
 * Verifies bearer tokens. A verified token is kept (bounded LRU, keyed by its exact text, so the
 * same signature) until its exp, never past it: a client sends the same token on every request,
 * and verifying its signature again each time is most of a trivial request's CPU. Refusals are
 * not kept. A JWKS key withdrawn at the identity provider stops new tokens at once; tokens
 * already verified with it stay accepted until they expire, as a stateless JWT would anyway.
 */
export class TokenVerifier {
  private readonly secret?: KeyObject;
  private readonly jwks?: JWTVerifyGetKey;
  private readonly verified: LRUCache<string, VerifiedClaims>;

  constructor(
    private readonly config: Config["jwt"],
    maxCachedTokens = DEFAULT_CACHED_TOKENS,
  ) {
    // Imported once: jose would import a raw byte secret again on every verify.
    if (config.secret) this.secret = createSecretKey(Buffer.from(config.secret, "utf8"));
    if (config.jwksUrl) this.jwks = createRemoteJWKSet(new URL(config.jwksUrl));
    this.verified = new LRUCache({ max: maxCachedTokens });
  }

  /** Verified tokens held now (at most maxCachedTokens). */
  get cachedTokens(): number {
    return this.verified.size;
  }

  async verify(token: string): Promise<VerifiedClaims> {
    const cached = this.verified.get(token);
    // Stricter than jose: its clock tolerance past exp is granted only by a fresh verification.
    if (cached && cached.exp * 1000 > Date.now()) return cached;
    const claims = Object.freeze(await this.verifyAfresh(token));
    const ttl = claims.exp * 1000 - Date.now();
    if (ttl > 0) this.verified.set(token, claims, { ttl });
    return claims;
  }

  private async verifyAfresh(token: string): Promise<VerifiedClaims> {
    let payload: Record<string, unknown>;
    try {
      const options = {
        requiredClaims: ["exp", "sub"],
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockTolerance: this.config.clockToleranceSeconds,
      };
      // Algorithms are pinned per key kind: an HS256 token is never checked against a public key.
      const header = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8") || "{}") as {
        alg?: string;
      };
      if (header.alg && HS_ALGORITHMS.includes(header.alg) && this.secret) {
        ({ payload } = await jwtVerify(token, this.secret, { ...options, algorithms: HS_ALGORITHMS }));
      } else if (this.jwks) {
        ({ payload } = await jwtVerify(token, this.jwks, { ...options, algorithms: ASYMMETRIC_ALGORITHMS }));
      } else {
        throw unauthenticated(`Token algorithm ${JSON.stringify(header.alg ?? null)} is not accepted`);
      }
    } catch (err) {
      throw err instanceof errors.JOSEError || err instanceof SyntaxError ? unauthenticated(describe(err)) : err;
    }
    if (typeof payload.tenant !== "string" || !payload.tenant) throw unauthenticated("Token has no tenant claim");
    return { sub: String(payload.sub), tenant: payload.tenant, exp: Number(payload.exp) };
  }
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "Token has expired";
  if (err instanceof errors.JWTClaimValidationFailed) return `Token claim "${err.claim}" is invalid: ${err.reason}`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return "Token signature is invalid";
  if (err instanceof errors.JOSEAlgNotAllowed) return "Token algorithm is not accepted";
  return "Token is malformed or invalid";
}

/** Signs an HS256 token (CLI, development banner, tests). Needs JWT_SECRET. */
export async function signToken(
  config: Config["jwt"],
  claims: TokenClaims,
  ttl: string | number = "8h",
): Promise<string> {
  if (!config.secret)
    throw new Error(
      "Signing tokens needs JWT_SECRET (tokens from JWT_JWKS_URL keys are issued by your identity provider)",
    );
  let jwt = new SignJWT({ tenant: claims.tenant })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(ttl);
  if (config.issuer) jwt = jwt.setIssuer(config.issuer);
  if (config.audience) jwt = jwt.setAudience(config.audience);
  return jwt.sign(new TextEncoder().encode(config.secret));
}
