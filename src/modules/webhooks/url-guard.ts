import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Where a webhook may be sent: the one SSRF rule, checked when an endpoint is created and again
 * before every delivery (a DNS answer can change between the two). A URL must parse, be https,
 * carry no credentials, and every address its host resolves to must be public. The delivery then
 * connects to the address checked here (pinnedLookup), never to a second DNS answer.
 */

/** Longer URLs are refused as input (a receiver's URL is short; this bounds what is stored and logged). */
export const MAX_URL_LENGTH = 2048;

/** Addresses no webhook may reach: loopback, private, link-local (cloud metadata), CGNAT, multicast, reserved. */
const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this network", unspecified
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, 169.254.169.254 metadata
  ["172.16.0.0", 12],
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const)
  NOT_PUBLIC.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["64:ff9b::", 96], // NAT64: embeds an IPv4 address
  ["100::", 64], // discard
  ["2001::", 32], // Teredo: embeds an IPv4 address
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4: embeds an IPv4 address
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
] as const)
  NOT_PUBLIC.addSubnet(net, prefix, "ipv6");
// IPv4-mapped IPv6 (::ffff:10.0.0.1) is checked against the IPv4 rules by BlockList itself.

export const isPublicAddress = (address: string): boolean => {
  const family = isIP(address);
  return family !== 0 && !NOT_PUBLIC.check(address, family === 6 ? "ipv6" : "ipv4");
};

/** Why a URL is refused (worded for the admin at creation, and stored as a failed attempt's last_error). */
export class UrlRefused extends Error {}

export interface VettedUrl {
  url: URL;
  /** The checked address the delivery connects to, and its family. */
  address: string;
  family: 4 | 6;
}

/** The URL's form alone (no DNS): parses, http(s) as allowed, no credentials, not too long. */
export function checkUrlForm(text: string, allowPrivate: boolean): URL {
  if (text.length > MAX_URL_LENGTH) throw new UrlRefused(`The URL is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UrlRefused("This is not a URL");
  }
  const schemes = allowPrivate ? ["https:", "http:"] : ["https:"];
  if (!schemes.includes(url.protocol))
    throw new UrlRefused(`The URL must use ${allowPrivate ? "http or https" : "https"}`);
  if (url.username || url.password) throw new UrlRefused("The URL must not carry a user name or password");
  return url;
}

/**
 * The URL checked completely: its form, then every address its host resolves to (all of them:
 * a host answering one public and one private address is refused). Returns the first address,
 * which the delivery connects to.
 */
export async function vetUrl(text: string, allowPrivate: boolean): Promise<VettedUrl> {
  const url = checkUrlForm(text, allowPrivate);
  // URL keeps IPv6 literals in brackets; lookup wants the bare address.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: { address: string; family: number }[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch {
    throw new UrlRefused(`The host ${host} does not resolve`);
  }
  if (!addresses.length) throw new UrlRefused(`The host ${host} does not resolve`);
  if (!allowPrivate) {
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused) throw new UrlRefused(`The host ${host} resolves to ${refused.address}, which is not a public address`);
  }
  const [first] = addresses;
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | { address: string; family: number }[],
  family?: number,
) => void;

/** A `lookup` for http(s).request that answers only the vetted address: the connection goes where the check looked. */
export function pinnedLookup(vetted: VettedUrl) {
  return (_hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    if (options.all) callback(null, [{ address: vetted.address, family: vetted.family }]);
    else callback(null, vetted.address, vetted.family);
  };
}
