import { BlockList, isIP } from 'node:net';

/** The host that handed the mail to the first relay we trust, as a Received header tells it. */
export interface ReceivedHop {
  ip: string;
  /** the name the client gave in HELO/EHLO, as the relay wrote it after `from` */
  helo: string | null;
  /** index of the Received header it came from, 0 = topmost */
  index: number;
}

/** A matcher for `trustedRelays`: single addresses and CIDRs, IPv4 and IPv6. Loopback is always trusted. */
export function relayMatcher(relays: readonly string[]): (ip: string) => boolean {
  const list = new BlockList();
  // a content filter re-injecting on the same machine (amavis, rspamd proxy) is one of our hops
  list.addSubnet('127.0.0.0', 8, 'ipv4');
  list.addAddress('::1', 'ipv6');
  for (const relay of relays) {
    const [address = '', prefix] = relay.trim().split('/');
    const family = isIP(address);
    if (family === 0) throw new RangeError(`trustedRelays: "${relay}" is not an IP address or CIDR`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return (ip) => {
    const plain = unmapped(ip);
    const family = isIP(plain);
    return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/**
 * The client address of a mail that reached us through relays we trust (fetched by POP3/IMAP,
 * piped from an MTA, or handed to our SMTP by a relay), in the way SpamAssassin's
 * trusted_networks reads it: the topmost header was written by the relay that delivered to us;
 * while the `from` address a header records is itself a trusted relay, that relay also wrote
 * the header below, so go down. The first `from` address that is not trusted is the client.
 * Anything below it was written by hosts we do not trust and may be forged, so it is never read.
 * Returns null when no header has a usable address or every hop is trusted (internal mail).
 */
export function clientFromReceived(
  received: readonly string[],
  isTrusted: (ip: string) => boolean,
): ReceivedHop | null {
  for (const [index, header] of received.entries()) {
    const from = fromClause(header);
    // a hop without a network peer (a local pickup, "from userid 0") tells nothing: look below
    if (from === null || from.ip === null) continue;
    if (isTrusted(from.ip)) continue;
    return { ip: from.ip, helo: from.helo, index };
  }
  return null;
}

/**
 * `from HELO (rDNS [IP])` of one Received header (RFC 5321 4.4: the TCP-info is the address
 * the relay saw). Only an address inside the comment counts: the HELO name itself may be a
 * literal that the client chose.
 */
export function fromClause(header: string): { helo: string | null; ip: string | null } | null {
  const text = header.replace(/\s+/g, ' ').trim();
  const match = /^from\s+(\S+)((?:\s*\((?:[^()]|\([^()]*\))*\))*)/i.exec(text);
  if (!match) return null;
  const helo = match[1] ?? null;
  const comment = match[2] ?? '';
  // the last address literal in the comment; Postfix writes [1.2.3.4], Exchange and Sendmail also
  // bare addresses, and IPv6 may come as [IPv6:2001:db8::1]
  const literals = [
    ...comment.matchAll(/\[(?:IPv6:)?([0-9a-f:.]+)\]|(?<![\w.:])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.:])/gi),
  ];
  for (const literal of literals.reverse()) {
    const ip = unmapped(literal[1] ?? literal[2] ?? '');
    if (isIP(ip) !== 0) return { helo, ip };
  }
  return { helo, ip: null };
}

/** `::ffff:192.0.2.1` is the IPv4 client 192.0.2.1 (RFC 4291 2.5.5.2), as SPF sees it too. */
export function unmapped(ip: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip.trim());
  return m?.[1] ?? ip.trim();
}
