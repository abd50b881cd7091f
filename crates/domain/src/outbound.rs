//! Where amends may send requests of its own (webhooks): to public
//! addresses only, so that an administrator's webhook URL cannot reach the
//! cloud metadata service, the database next door or amends itself. An
//! [`AllowList`] (configuration key `webhook_allow`) lets in the internal
//! receivers an operator wants.
//!
//! Host names are checked twice: by name here when a URL is saved or used
//! ("localhost", "metadata.google.internal"), and every address they
//! resolve to when a request is made (see `amends_app::outbound`), so a
//! name that points at 127.0.0.1 is refused as well.

use ipnet::IpNet;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// Why an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16, fc00::/7.
    Private,
    /// 169.254/16 (cloud metadata lives here), fe80::/10.
    LinkLocal,
    /// 0.0.0.0, ::.
    Unspecified,
    /// 100.64/10 (carrier-grade NAT).
    Shared,
    /// Multicast, broadcast, documentation and reserved ranges.
    Reserved,
    /// `localhost`, `*.localhost`, `*.internal`, `*.local`, `metadata`.
    LocalName,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::Loopback => "a loopback address",
            Refusal::Private => "a private network address",
            Refusal::LinkLocal => "a link-local address (where cloud metadata services live)",
            Refusal::Unspecified => "the unspecified address",
            Refusal::Shared => "a carrier-grade NAT address",
            Refusal::Reserved => "a reserved, multicast or broadcast address",
            Refusal::LocalName => "a local host name",
        })
    }
}

/// Why `ip` is not a public address, if it is not.
#[must_use]
pub fn ip_refusal(ip: IpAddr) -> Option<Refusal> {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Some(Refusal::Loopback)
            } else if v4.is_private() {
                Some(Refusal::Private)
            } else if v4.is_link_local() {
                Some(Refusal::LinkLocal)
            } else if v4.is_unspecified() || a == 0 {
                Some(Refusal::Unspecified)
            } else if a == 100 && (64..128).contains(&b) {
                Some(Refusal::Shared)
            } else if v4.is_multicast() || v4.is_broadcast() || v4.is_documentation() || a >= 240 {
                Some(Refusal::Reserved)
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some(Refusal::Loopback)
            } else if v6.is_unspecified() {
                Some(Refusal::Unspecified)
            } else if first & 0xfe00 == 0xfc00 {
                Some(Refusal::Private)
            } else if first & 0xffc0 == 0xfe80 {
                Some(Refusal::LinkLocal)
            } else if v6.is_multicast() || first == 0x2001 && v6.segments()[1] == 0x0db8 {
                Some(Refusal::Reserved)
            } else {
                None
            }
        }
    }
}

/// Whether a host name is local by its form (checked before any lookup).
#[must_use]
pub fn name_refusal(name: &str) -> Option<Refusal> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let local = name == "localhost"
        || name == "metadata"
        || [".localhost", ".internal", ".local"]
            .iter()
            .any(|suffix| name.ends_with(suffix));
    local.then_some(Refusal::LocalName)
}

/// Addresses and host names an administrator allows although they are not
/// public: written as a comma-separated list of IP addresses, networks
/// (`10.0.0.0/8`) and host names (`hooks.internal`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    nets: Vec<IpNet>,
    hosts: Vec<String>,
}

impl AllowList {
    /// Whether `ip` is allowed by an address or network of the list.
    #[must_use]
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// Whether the host name `name` is on the list.
    #[must_use]
    pub fn allows_host(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.');
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    /// Whether the list is empty (only public addresses allowed).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty() && self.hosts.is_empty()
    }
}

impl FromStr for AllowList {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut list = AllowList::default();
        for entry in s.split([',', ' ', '\n']).map(str::trim).filter(|e| !e.is_empty()) {
            let bare = entry.trim_start_matches('[').trim_end_matches(']');
            if let Ok(net) = bare.parse::<IpNet>() {
                list.nets.push(net.trunc());
            } else if let Ok(ip) = bare.parse::<IpAddr>() {
                list.nets.push(IpNet::from(ip.to_canonical()));
            } else if !entry.is_empty()
                && entry
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
            {
                list.hosts.push(entry.trim_end_matches('.').to_ascii_lowercase());
            } else {
                return Err(format!(
                    "`{entry}` is neither an IP address, a network such as 10.0.0.0/8 nor a host name"
                ));
            }
        }
        Ok(list)
    }
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nets = self.nets.iter().map(|n| {
            if n.prefix_len() == n.max_prefix_len() {
                n.addr().to_string()
            } else {
                n.to_string()
            }
        });
        let all: Vec<String> = nets.chain(self.hosts.iter().cloned()).collect();
        f.write_str(&all.join(","))
    }
}

/// Checks the host of a URL (as `url::Url::host_str` gives it: IPv6 in
/// brackets, numeric IPv4 forms such as `2130706433` already normalised).
pub fn check_host(host: &str, allow: &AllowList) -> Result<(), Refusal> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return check_ip(ip, allow);
    }
    if allow.allows_host(bare) {
        return Ok(());
    }
    name_refusal(bare).map_or(Ok(()), Err)
}

/// Checks one address, e.g. one a host name resolved to.
pub fn check_ip(ip: IpAddr, allow: &AllowList) -> Result<(), Refusal> {
    match ip_refusal(ip) {
        Some(r) if !allow.allows_ip(ip) => Err(r),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn internal_addresses_are_refused() {
        let none = AllowList::default();
        for (host, why) in [
            ("169.254.169.254", Refusal::LinkLocal),
            ("127.0.0.1", Refusal::Loopback),
            ("127.1.2.3", Refusal::Loopback),
            ("[::1]", Refusal::Loopback),
            ("0.0.0.0", Refusal::Unspecified),
            ("[::]", Refusal::Unspecified),
            ("10.0.0.1", Refusal::Private),
            ("172.16.5.4", Refusal::Private),
            ("192.168.1.1", Refusal::Private),
            ("[fd00::1]", Refusal::Private),
            ("[fe80::1]", Refusal::LinkLocal),
            ("[::ffff:127.0.0.1]", Refusal::Loopback),
            ("[::ffff:a9fe:a9fe]", Refusal::LinkLocal),
            ("100.64.0.1", Refusal::Shared),
            ("255.255.255.255", Refusal::Reserved),
            ("224.0.0.1", Refusal::Reserved),
            ("localhost", Refusal::LocalName),
            ("LOCALHOST.", Refusal::LocalName),
            ("api.localhost", Refusal::LocalName),
            ("metadata.google.internal", Refusal::LocalName),
            ("metadata", Refusal::LocalName),
            ("printer.local", Refusal::LocalName),
        ] {
            assert_eq!(check_host(host, &none), Err(why), "{host}");
        }
    }

    #[test]
    fn public_addresses_and_names_pass() {
        let none = AllowList::default();
        for host in [
            "93.184.215.14",
            "hooks.slack.com",
            "[2606:4700::1111]",
            "172.32.0.1",
            "100.128.0.1",
        ] {
            assert_eq!(check_host(host, &none), Ok(()), "{host}");
        }
    }

    #[test]
    fn the_allow_list_lets_in_what_it_names() {
        let allow: AllowList = "127.0.0.1, 10.0.0.0/8 hooks.internal,[::1]".parse().unwrap_or_default();
        assert_eq!(check_host("127.0.0.1", &allow), Ok(()));
        assert_eq!(check_host("[::ffff:127.0.0.1]", &allow), Ok(()));
        assert_eq!(check_host("[::1]", &allow), Ok(()));
        assert_eq!(check_host("10.20.30.40", &allow), Ok(()));
        assert_eq!(check_host("hooks.internal", &allow), Ok(()));
        assert_eq!(check_host("127.0.0.2", &allow), Err(Refusal::Loopback));
        assert_eq!(check_host("other.internal", &allow), Err(Refusal::LocalName));
        assert_eq!(check_ip(ip("192.168.0.1"), &allow), Err(Refusal::Private));
        assert_eq!(allow.to_string(), "127.0.0.1,10.0.0.0/8,::1,hooks.internal");
        assert!(AllowList::default().is_empty());
    }

    #[test]
    fn a_bad_allow_list_entry_is_named() {
        let err = "10.0.0.0/8, http://x".parse::<AllowList>().err().unwrap_or_default();
        assert!(err.contains("`http://x`"), "{err}");
    }
}
