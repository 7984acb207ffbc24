import ipaddr from "ipaddr.js"

/**
 * Why an address is special. Every category except `public` is blocked by default; only
 * `private`, `cgnat`, `ula` and `loopback` can be opened, by a customer instance's
 * `allowPrivateRanges` (and never for a cloud metadata address).
 */
export type AddressCategory =
  | "public"
  | "metadata"
  | "unspecified"
  | "loopback"
  | "private"
  | "cgnat"
  | "link-local"
  | "ietf-protocol"
  | "documentation"
  | "benchmarking"
  | "as112"
  | "amt"
  | "6to4-relay"
  | "multicast"
  | "reserved"
  | "broadcast"
  | "ipv4-mapped"
  | "ipv4-translated"
  | "ipv4-compatible"
  | "nat64"
  | "6to4"
  | "teredo"
  | "discard"
  | "orchid"
  | "drone-id"
  | "srv6"
  | "ula"
  | "site-local"
  | "not-global-unicast"

/** Categories a customer instance may open with `allowPrivateRanges`; nothing else can be opened. */
export const openableCategories: ReadonlySet<AddressCategory> = new Set([
  "private",
  "cgnat",
  "ula",
  "loopback"
])

type Range = readonly [category: AddressCategory, cidr: string]

// Most specific first: the first matching row names the category. Sources: the IANA IPv4 and
// IPv6 special-purpose address registries (RFC 6890 and successors).
const ipv4Ranges: ReadonlyArray<Range> = [
  ["unspecified", "0.0.0.0/8"],
  ["private", "10.0.0.0/8"],
  ["cgnat", "100.64.0.0/10"],
  ["loopback", "127.0.0.0/8"],
  ["link-local", "169.254.0.0/16"],
  ["private", "172.16.0.0/12"],
  ["documentation", "192.0.2.0/24"],
  ["ietf-protocol", "192.0.0.0/24"],
  ["as112", "192.31.196.0/24"],
  ["amt", "192.52.193.0/24"],
  ["6to4-relay", "192.88.99.0/24"],
  ["private", "192.168.0.0/16"],
  ["as112", "192.175.48.0/24"],
  ["benchmarking", "198.18.0.0/15"],
  ["documentation", "198.51.100.0/24"],
  ["documentation", "203.0.113.0/24"],
  ["multicast", "224.0.0.0/4"],
  ["broadcast", "255.255.255.255/32"],
  ["reserved", "240.0.0.0/4"]
]

const ipv6Ranges: ReadonlyArray<Range> = [
  ["unspecified", "::/128"],
  ["loopback", "::1/128"],
  ["ipv4-mapped", "::ffff:0:0/96"],
  ["ipv4-translated", "::ffff:0:0:0/96"],
  ["ipv4-compatible", "::/96"],
  ["nat64", "64:ff9b::/96"],
  ["nat64", "64:ff9b:1::/48"],
  ["discard", "100::/64"],
  ["teredo", "2001::/32"],
  ["benchmarking", "2001:2::/48"],
  ["amt", "2001:3::/32"],
  ["as112", "2001:4:112::/48"],
  ["orchid", "2001:10::/28"],
  ["orchid", "2001:20::/28"],
  ["drone-id", "2001:30::/28"],
  ["ietf-protocol", "2001::/23"],
  ["documentation", "2001:db8::/32"],
  ["6to4", "2002::/16"],
  ["as112", "2620:4f:8000::/48"],
  ["documentation", "3fff::/20"],
  ["srv6", "5f00::/16"],
  ["ula", "fc00::/7"],
  ["link-local", "fe80::/10"],
  ["site-local", "fec0::/10"],
  ["multicast", "ff00::/8"]
]

/**
 * Cloud metadata endpoints (AWS, GCP, Azure, OCI: 169.254.169.254; AWS ECS/EKS credentials:
 * 169.254.170.2, 169.254.170.23; AWS IPv6 IMDS and EKS pod identity: fd00:ec2::254, fd00:ec2::23;
 * Alibaba: 100.100.100.200). Never openable, even where the surrounding range is opened.
 */
export const metadataAddresses: ReadonlyArray<string> = [
  "169.254.169.254",
  "169.254.170.2",
  "169.254.170.23",
  "100.100.100.200",
  "fd00:ec2::254",
  "fd00:ec2::23"
]

type Parsed = ipaddr.IPv4 | ipaddr.IPv6
const parsedRanges = (ranges: ReadonlyArray<Range>) =>
  ranges.map(([category, cidr]) => [category, ipaddr.parseCIDR(cidr)] as const)
const v4 = parsedRanges(ipv4Ranges)
const v6 = parsedRanges(ipv6Ranges)
const globalUnicast = ipaddr.parseCIDR("2000::/3")
const metadata = new Set(metadataAddresses.map((a) => ipaddr.parse(a).toNormalizedString()))

/** An IP address as ipaddr.js parsed it, or nothing when the text is not a strict IP address. */
export const parseStrictIp = (text: string): Parsed | undefined => {
  // ipaddr.js accepts octal, hex and shortened IPv4 forms; answers and literals must be plain
  // dotted-quad, so anything else is refused here rather than reinterpreted.
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text)
  if (text.includes(":") && ipaddr.IPv6.isValid(text)) {
    const parsed = ipaddr.IPv6.parse(text)
    return parsed.zoneId === undefined ? parsed : undefined
  }
  return undefined
}

/** The IPv4 address carried inside an IPv4-embedding IPv6 address, for audit detail. */
const embeddedIpv4 = (address: ipaddr.IPv6, category: AddressCategory): string | undefined => {
  const p = address.parts
  const quad = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`
  switch (category) {
    case "ipv4-mapped":
    case "ipv4-translated":
    case "ipv4-compatible":
    case "nat64":
      return quad(p[6] ?? 0, p[7] ?? 0)
    case "6to4":
      return quad(p[1] ?? 0, p[2] ?? 0)
    case "teredo":
      // RFC 4380: the client's public IPv4 is stored with every bit inverted.
      return quad((p[6] ?? 0) ^ 0xffff, (p[7] ?? 0) ^ 0xffff)
    default:
      return undefined
  }
}

/** What an address is, and for IPv4-embedding IPv6 forms the IPv4 address inside. */
export interface AddressClass {
  readonly address: string
  readonly family: 4 | 6
  readonly category: AddressCategory
  readonly embeddedIpv4?: string
}

/** Classifies a parsed address; pure and synchronous (hot path). */
export const classifyParsed = (parsed: Parsed): AddressClass => {
  const address = parsed.kind() === "ipv6" ? (parsed as ipaddr.IPv6).toRFC5952String() : parsed.toString()
  if (metadata.has(parsed.toNormalizedString())) {
    return { address, family: parsed.kind() === "ipv4" ? 4 : 6, category: "metadata" }
  }
  if (parsed.kind() === "ipv4") {
    const ip = parsed as ipaddr.IPv4
    for (const [category, range] of v4) {
      if (ip.match(range as [ipaddr.IPv4, number])) return { address, family: 4, category }
    }
    return { address, family: 4, category: "public" }
  }
  const ip = parsed as ipaddr.IPv6
  for (const [category, range] of v6) {
    if (ip.match(range as [ipaddr.IPv6, number])) {
      const embedded = embeddedIpv4(ip, category)
      return embedded === undefined
        ? { address, family: 6, category }
        : { address, family: 6, category, embeddedIpv4: embedded }
    }
  }
  if (!ip.match(globalUnicast as [ipaddr.IPv6, number])) {
    return { address, family: 6, category: "not-global-unicast" }
  }
  return { address, family: 6, category: "public" }
}

/** Classifies an address given as text; `undefined` when it is not a strict IP address. */
export const classifyAddress = (text: string): AddressClass | undefined => {
  const parsed = parseStrictIp(text)
  return parsed === undefined ? undefined : classifyParsed(parsed)
}

/** A CIDR block a customer instance opened, parsed. */
export interface OpenedRange {
  readonly cidr: string
  readonly range: readonly [Parsed, number]
}

/**
 * Parses an `allowPrivateRanges` entry. The block must lie wholly inside one openable range
 * (RFC 1918, CGNAT, ULA or loopback): a block such as `0.0.0.0/0` would otherwise read as
 * "open everything" while opening far less, so it is refused instead.
 */
export const parseOpenedRange = (cidr: string): OpenedRange | string => {
  if (!ipaddr.isValidCIDR(cidr)) return "is not a CIDR block"
  const [network, bits] = ipaddr.parseCIDR(cidr)
  if (network.kind() === "ipv4" && !ipaddr.IPv4.isValidCIDRFourPartDecimal(cidr)) {
    return "must use a dotted-quad IPv4 address"
  }
  const table = network.kind() === "ipv4" ? v4 : v6
  const container = table.find(
    ([category, [base, prefix]]) =>
      openableCategories.has(category) &&
      bits >= prefix &&
      network.kind() === base.kind() &&
      network.match(base, prefix)
  )
  if (container === undefined) {
    return "must lie inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7 or loopback)"
  }
  return { cidr, range: [network, bits] }
}

/** The opened range containing an address, if any. */
export const openedRangeOf = (
  parsedAddress: Parsed,
  opened: ReadonlyArray<OpenedRange>
): OpenedRange | undefined =>
  opened.find(
    (o) => o.range[0].kind() === parsedAddress.kind() && parsedAddress.match(o.range[0], o.range[1])
  )
