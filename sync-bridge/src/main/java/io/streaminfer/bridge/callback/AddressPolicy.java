package io.streaminfer.bridge.callback;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Decides which addresses a callback may reach, so a caller cannot make the bridge call into the cluster (SSRF):
 * loopback, private (RFC 1918, IPv6 unique-local), link-local (where the cloud metadata services live), carrier-grade
 * NAT, unspecified, multicast and known metadata host names are refused unless allow-listed. The check runs on the
 * resolved addresses and the connection then goes to the address that was checked, so DNS cannot swap it after.
 *
 * <pre>{@code
 * AddressPolicy policy = AddressPolicy.of(List.of("127.0.0.1/32", "hooks.internal"));
 * String refusal = policy.refusal("hooks.example.com", addresses);   // null when allowed
 * }</pre>
 */
public final class AddressPolicy {
    private static final Set<String> METADATA_HOSTS = Set.of("metadata.google.internal", "metadata",
            "instance-data", "instance-data.ec2.internal");

    private final List<Cidr> allowedRanges;
    private final List<String> allowedHosts;

    private AddressPolicy(List<Cidr> allowedRanges, List<String> allowedHosts) {
        this.allowedRanges = allowedRanges;
        this.allowedHosts = allowedHosts;
    }

    /** @param allow host names or CIDR ranges that are reachable although internal */
    public static AddressPolicy of(List<String> allow) {
        List<Cidr> ranges = new ArrayList<>();
        List<String> hosts = new ArrayList<>();
        for (String rule : allow) {
            Object parsed = parseRule(rule);
            if (parsed instanceof Cidr) {
                ranges.add((Cidr) parsed);
            } else {
                hosts.add((String) parsed);
            }
        }
        return new AddressPolicy(ranges, hosts);
    }

    /**
     * A rule as the config gives it: a CIDR range, an IP address (a /32 or /128) or a host name.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static Object parseRule(String rule) {
        if (rule == null || rule.isBlank()) {
            throw new IllegalArgumentException("empty rule: give a host name or a CIDR range such as 10.0.0.0/8");
        }
        String r = rule.trim().toLowerCase(Locale.ROOT);
        if (r.contains("/") || r.matches("[0-9.]+") || r.contains(":")) {
            return Cidr.parse(r);
        }
        if (!r.matches("[a-z0-9.-]+")) {
            throw new IllegalArgumentException("'" + rule + "' is neither a host name nor a CIDR range");
        }
        return r;
    }

    /** Why a host with these resolved addresses may not be called, or null when it may. */
    public String refusal(String host, List<InetAddress> addresses) {
        String h = host.toLowerCase(Locale.ROOT);
        while (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1); // "metadata.google.internal." is the same host
        }
        if (allowedHosts.contains(h)) {
            return null;
        }
        if (METADATA_HOSTS.contains(h)) {
            return "callback host '" + host + "' is a cloud metadata service";
        }
        if (addresses.isEmpty()) {
            return "callback host '" + host + "' does not resolve";
        }
        for (InetAddress a : addresses) {
            String kind = internalKind(a);
            if (kind != null && !isAllowed(a)) {
                return "callback host '" + host + "' resolves to " + a.getHostAddress() + ", a " + kind
                        + " address; allow it in callbacks.allow if it is meant";
            }
        }
        return null;
    }

    private boolean isAllowed(InetAddress a) {
        for (Cidr c : allowedRanges) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /** What kind of internal address this is, or null for a public one. */
    static String internalKind(InetAddress a) {
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            if (mapped && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
                try {
                    return internalKind(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
                } catch (UnknownHostException e) {
                    return "malformed";
                }
            }
            // IPv4 embedded by NAT64 (64:ff9b::/96) or 6to4 (2002::/16) reaches that IPv4 address.
            boolean nat64 = b[0] == 0 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b;
            for (int i = 4; i < 12 && nat64; i++) {
                nat64 = b[i] == 0;
            }
            if (nat64 || (b[0] == 0x20 && b[1] == 0x02)) {
                int at = nat64 ? 12 : 2;
                try {
                    String inner = internalKind(InetAddress.getByAddress(new byte[] {b[at], b[at + 1], b[at + 2],
                            b[at + 3]}));
                    if (inner != null) {
                        return inner + " (embedded in IPv6)";
                    }
                } catch (UnknownHostException e) {
                    return "malformed";
                }
            }
            if ((b[0] & 0xfe) == 0xfc) {
                return "unique-local (private)";
            }
        }
        if (a.isLoopbackAddress()) {
            return "loopback";
        }
        if (a.isAnyLocalAddress()) {
            return "unspecified";
        }
        if (a.isLinkLocalAddress()) {
            return "link-local (metadata)";
        }
        if (a.isSiteLocalAddress()) {
            return "private";
        }
        if (a.isMulticastAddress()) {
            return "multicast";
        }
        if (a instanceof Inet4Address) {
            byte[] b = a.getAddress();
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            if (first == 0) {
                return "this-network";
            }
            if (first == 100 && second >= 64 && second < 128) {
                return "carrier-grade NAT (private)";
            }
            if (first == 198 && (second == 18 || second == 19)) {
                return "benchmarking (private)";
            }
            if (first >= 240) {
                return "reserved";
            }
        }
        return null;
    }

    /** An address range. */
    static final class Cidr {
        private final byte[] network;
        private final int bits;

        private Cidr(byte[] network, int bits) {
            this.network = network;
            this.bits = bits;
        }

        static Cidr parse(String text) {
            String[] parts = text.split("/", -1);
            if (parts.length > 2) {
                throw new IllegalArgumentException("'" + text + "' is not a CIDR range");
            }
            byte[] addr;
            try {
                if (!parts[0].matches("[0-9a-f.:]+")) {
                    throw new UnknownHostException(parts[0]);
                }
                addr = InetAddress.getByName(parts[0]).getAddress(); // a literal: no DNS lookup
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("'" + text + "' is not an IP address or CIDR range");
            }
            int bits = addr.length * 8;
            if (parts.length == 2) {
                try {
                    bits = Integer.parseInt(parts[1]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + text + "' has a bad prefix length");
                }
                if (bits < 0 || bits > addr.length * 8) {
                    throw new IllegalArgumentException("'" + text + "' prefix length must be 0-" + addr.length * 8);
                }
            }
            return new Cidr(addr, bits);
        }

        boolean contains(InetAddress a) {
            byte[] b = a.getAddress();
            if (b.length != network.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (b[i] != network[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (b[full] & mask) == (network[full] & mask);
        }
    }
}
