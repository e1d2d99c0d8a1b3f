/**
 * Who may call the RPC, as Transmission decides it: `rpc-whitelist` (addresses with `*`
 * wildcards, comma separated), `rpc-host-whitelist` against DNS rebinding (the `Host` header,
 * port stripped; `localhost` and IP literals always pass), and HTTP Basic credentials.
 */

/** `127.0.0.1,192.168.*.*` → patterns; empty entries dropped. */
export function parseWhitelist(text: string): string[] {
  return text
    .split(/[,;]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

/** The address as the whitelist sees it: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as IPv4. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped ? mapped[1]! : address).toLowerCase();
}

/** True when `address` matches a pattern (`*` matches any run of characters). */
export function isAddressAllowed(address: string, patterns: readonly string[]): boolean {
  const subject = normalizeAddress(address);
  return patterns.some((pattern) => {
    const regex = new RegExp(
      `^${pattern
        .toLowerCase()
        .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')}$`,
    );
    return regex.test(subject);
  });
}

function hostName(hostHeader: string): string {
  const host = hostHeader.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || (host.startsWith('[') && host.endsWith(']'));
}

/** DNS rebinding check on the `Host` header (missing header: refused). */
export function isHostAllowed(
  hostHeader: string | undefined,
  patterns: readonly string[],
): boolean {
  if (hostHeader === undefined || hostHeader === '') return false;
  const host = hostName(hostHeader);
  if (host === 'localhost' || host === 'localhost.' || isIpLiteral(host)) return true;
  return isAddressAllowed(host, patterns);
}

/** `Authorization: Basic <base64 user:pass>` → the pair, or undefined. */
export function parseBasicAuth(
  header: string | undefined,
): { username: string; password: string } | undefined {
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return undefined;
  let decoded: string;
  try {
    const binary = atob(match[1]!);
    decoded = new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
