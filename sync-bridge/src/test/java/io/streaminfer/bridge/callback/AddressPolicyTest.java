package io.streaminfer.bridge.callback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressPolicyTest {
    private static final AddressPolicy DEFAULT = AddressPolicy.of(List.of());

    /** An IP literal: InetAddress.getByName does no DNS lookup for these. */
    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(literal, e);
        }
    }

    private static String refusal(AddressPolicy policy, String... literals) {
        return policy.refusal("hooks.example.com", java.util.Arrays.stream(literals).map(AddressPolicyTest::ip).toList());
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.5.5.5", "::1"})
    void refusesLoopback(String literal) {
        assertThat(refusal(DEFAULT, literal)).isNotNull().contains("loopback");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0", "10.1.2.3", "10.255.255.255", "172.16.0.0", "172.20.1.1", "172.31.255.255",
            "192.168.0.0", "192.168.1.1", "192.168.255.255"})
    void refusesPrivateIpv4(String literal) {
        assertThat(refusal(DEFAULT, literal)).isNotNull().contains("private").contains(literal);
    }

    @ParameterizedTest
    @ValueSource(strings = {"172.15.255.255", "172.32.0.0", "11.0.0.1", "9.255.255.255", "192.167.255.255",
            "192.169.0.0"})
    void allowsPublicNeighboursOfPrivateRanges(String literal) {
        assertThat(refusal(DEFAULT, literal)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"169.254.169.254", "169.254.0.1", "fe80::1", "fe80::abcd:1234"})
    void refusesLinkLocalIncludingMetadataAddress(String literal) {
        assertThat(refusal(DEFAULT, literal)).isNotNull().contains("link-local");
    }

    @ParameterizedTest
    @ValueSource(strings = {"100.64.0.0", "100.100.100.100", "100.127.255.255"})
    void refusesCarrierGradeNat(String literal) {
        assertThat(refusal(DEFAULT, literal)).isNotNull().contains("carrier-grade NAT");
    }

    @ParameterizedTest
    @ValueSource(strings = {"100.63.255.255", "100.128.0.0"})
    void allowsNeighboursOfCarrierGradeNat(String literal) {
        assertThat(refusal(DEFAULT, literal)).isNull();
    }

    @Test
    void refusesUnspecified() {
        assertThat(refusal(DEFAULT, "0.0.0.0")).isNotNull().contains("unspecified");
        assertThat(refusal(DEFAULT, "::")).isNotNull().contains("unspecified");
    }

    @ParameterizedTest
    @ValueSource(strings = {"224.0.0.1", "239.255.255.250", "ff02::1", "ff0e::1"})
    void refusesMulticast(String literal) {
        assertThat(refusal(DEFAULT, literal)).isNotNull().contains("multicast");
    }

    @ParameterizedTest
    @ValueSource(strings = {"fc00::1", "fd12:3456:789a::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"})
    void refusesIpv6UniqueLocal(String literal) {
        assertThat(refusal(DEFAULT, literal)).isNotNull().contains("unique-local");
    }

    @Test
    void allowsIpv6JustOutsideUniqueLocal() {
        assertThat(refusal(DEFAULT, "fbff::1")).isNull();
        assertThat(refusal(DEFAULT, "fe00::1")).isNull();
    }

    @Test
    void refusesIpv4MappedIpv6Literals() {
        assertThat(refusal(DEFAULT, "::ffff:10.0.0.1")).isNotNull().contains("private");
        assertThat(refusal(DEFAULT, "::ffff:127.0.0.1")).isNotNull().contains("loopback");
        assertThat(refusal(DEFAULT, "::ffff:8.8.8.8")).isNull();
    }

    /** A resolver may hand over a real Inet6Address for a mapped address (the JDK's parser turns it into IPv4). */
    @Test
    void refusesIpv4MappedInet6AddressObjects() throws UnknownHostException {
        InetAddress mappedPrivate = Inet6Address.getByAddress(null,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 0, 0, 1}, -1);
        InetAddress mappedLoopback = Inet6Address.getByAddress(null,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 1}, -1);
        InetAddress mappedPublic = Inet6Address.getByAddress(null,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 8, 8, 8, 8}, -1);
        assertThat(mappedPrivate).isInstanceOf(Inet6Address.class);

        assertThat(DEFAULT.refusal("h", List.of(mappedPrivate))).isNotNull().contains("private");
        assertThat(DEFAULT.refusal("h", List.of(mappedLoopback))).isNotNull().contains("loopback");
        assertThat(DEFAULT.refusal("h", List.of(mappedPublic))).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "2606:4700::1111", "2001:4860:4860::8888"})
    void allowsPublicAddresses(String literal) {
        assertThat(refusal(DEFAULT, literal)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"metadata.google.internal", "METADATA.Google.Internal", "metadata", "instance-data"})
    void refusesMetadataHostNamesEvenWithPublicAddresses(String host) {
        assertThat(DEFAULT.refusal(host, List.of(ip("8.8.8.8")))).isNotNull().contains("metadata");
    }

    @Test
    void refusesHostWithNoAddresses() {
        assertThat(DEFAULT.refusal("hooks.example.com", List.of())).isNotNull().contains("does not resolve");
    }

    @Test
    void refusesHostResolvingToOnePublicAndOnePrivateAddress() {
        assertThat(refusal(DEFAULT, "8.8.8.8", "10.0.0.1")).isNotNull().contains("10.0.0.1");
        assertThat(refusal(DEFAULT, "10.0.0.1", "8.8.8.8")).isNotNull().contains("10.0.0.1");
        assertThat(refusal(DEFAULT, "2606:4700::1111", "::1")).isNotNull().contains("loopback");
    }

    @Test
    void refusalNamesHostAndAllowSetting() {
        assertThat(DEFAULT.refusal("hooks.example.com", List.of(ip("10.0.0.1"))))
                .contains("hooks.example.com").contains("callbacks.allow");
    }

    @Test
    void allowListCidrSingleAddress() {
        AddressPolicy policy = AddressPolicy.of(List.of("127.0.0.2/32"));
        assertThat(refusal(policy, "127.0.0.2")).isNull();
        assertThat(refusal(policy, "127.0.0.1")).isNotNull().contains("loopback");
        assertThat(refusal(policy, "127.0.0.3")).isNotNull();
    }

    @Test
    void allowListBareAddressIsASingleHostRange() {
        AddressPolicy policy = AddressPolicy.of(List.of("10.1.2.3"));
        assertThat(refusal(policy, "10.1.2.3")).isNull();
        assertThat(refusal(policy, "10.1.2.4")).isNotNull();
    }

    @Test
    void allowListCidrWithPartialOctet() {
        AddressPolicy policy = AddressPolicy.of(List.of("10.0.0.0/12"));
        assertThat(refusal(policy, "10.0.0.1")).isNull();
        assertThat(refusal(policy, "10.15.255.255")).isNull();
        assertThat(refusal(policy, "10.16.0.0")).isNotNull();
        // Only the ranges the rule names are allowed: other internal addresses of the same host still refuse it.
        assertThat(refusal(policy, "10.0.0.1", "192.168.0.1")).isNotNull().contains("192.168.0.1");
    }

    @Test
    void allowListByHostName() {
        AddressPolicy policy = AddressPolicy.of(List.of("Hooks.Internal"));
        assertThat(policy.refusal("hooks.internal", List.of(ip("10.0.0.5")))).isNull();
        assertThat(policy.refusal("HOOKS.internal", List.of(ip("127.0.0.1")))).isNull();
        assertThat(policy.refusal("other.internal", List.of(ip("10.0.0.5")))).isNotNull();
    }

    @Test
    void allowListedHostNameOverridesMetadataName() {
        AddressPolicy policy = AddressPolicy.of(List.of("metadata.google.internal"));
        assertThat(policy.refusal("metadata.google.internal", List.of(ip("169.254.169.254")))).isNull();
    }

    @Test
    void allowListIpv6Cidr() {
        AddressPolicy policy = AddressPolicy.of(List.of("fd00:1234::/32"));
        assertThat(refusal(policy, "fd00:1234::1")).isNull();
        assertThat(refusal(policy, "fd00:1234:ffff::1")).isNull();
        assertThat(refusal(policy, "fd00:1235::1")).isNotNull().contains("unique-local");
        // An IPv6 range never allows an IPv4 address.
        assertThat(refusal(policy, "10.0.0.1")).isNotNull();
    }

    @Test
    void allowListIpv6LoopbackSingleAddress() {
        AddressPolicy policy = AddressPolicy.of(List.of("::1/128"));
        assertThat(refusal(policy, "::1")).isNull();
        assertThat(refusal(policy, "127.0.0.1")).isNotNull();
    }

    @Test
    void parseRuleReturnsRangesAndLowerCaseHostNames() {
        assertThat(AddressPolicy.parseRule("10.0.0.0/8")).isInstanceOf(AddressPolicy.Cidr.class);
        assertThat(AddressPolicy.parseRule("fd00::/8")).isInstanceOf(AddressPolicy.Cidr.class);
        assertThat(AddressPolicy.parseRule("127.0.0.1")).isInstanceOf(AddressPolicy.Cidr.class);
        assertThat(AddressPolicy.parseRule("  Hooks.Internal ")).isEqualTo("hooks.internal");
        assertThat(AddressPolicy.parseRule("0.0.0.0/0")).isInstanceOf(AddressPolicy.Cidr.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "10.0.0.0/-1", "fd00::/129"})
    void parseRuleRefusesPrefixLengthOutOfRange(String rule) {
        assertThatThrownBy(() -> AddressPolicy.parseRule(rule))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(rule)
                .hasMessageContaining("prefix length must be 0-");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/x", "10.0.0.0/", "10.0.0.0/8.5"})
    void parseRuleRefusesBadPrefixLength(String rule) {
        assertThatThrownBy(() -> AddressPolicy.parseRule(rule))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad prefix length");
    }

    @ParameterizedTest
    @ValueSource(strings = {"hooks internal", "hooks_internal", "hooks.internal!", "hooks.internal?x"})
    void parseRuleRefusesGarbageHostNames(String rule) {
        assertThatThrownBy(() -> AddressPolicy.parseRule(rule))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("neither a host name nor a CIDR range");
    }

    @ParameterizedTest
    @ValueSource(strings = {"zz::/8", "hooks.internal/8", "10.0.0.0/8/8", "g::1", "http://hooks.internal"})
    void parseRuleRefusesGarbageRanges(String rule) {
        assertThatThrownBy(() -> AddressPolicy.parseRule(rule))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(rule);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   "})
    void parseRuleRefusesEmpty(String rule) {
        assertThatThrownBy(() -> AddressPolicy.parseRule(rule))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty rule");
        assertThatThrownBy(() -> AddressPolicy.parseRule(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ofRefusesBadRules() {
        assertThatThrownBy(() -> AddressPolicy.of(List.of("10.0.0.0/8", "10.0.0.0/99")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** A fully qualified name with its trailing dot resolves like the name itself. */
    @Test
    void refusesMetadataHostNameWithTrailingDot() {
        assertThat(DEFAULT.refusal("metadata.google.internal.", List.of(ip("8.8.8.8")))).isNotNull()
                .contains("metadata");
    }
}
