//! Where gitpat may send requests. An account admin sets a runtime's API URL and an OAuth app's
//! URLs from the web, and the server then calls them and shows parts of the answer; so none may
//! lead to loopback, private, link-local (cloud metadata), unique-local or unspecified
//! addresses, unless `GITPAT_ALLOW_PRIVATE_NETWORKS` (CIDRs, none by default) allows them. A URL
//! is checked when it is saved, and every name is checked again when a request resolves it (the
//! HTTP client's resolver), so a name that turns private later (DNS rebinding) is not called.

use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The one rule for the form of a URL gitpat calls (a runtime's API, an OAuth app's endpoints;
/// web and CLI alike): http(s), a host, and no query or fragment, which would let it replace the
/// paths and parameters gitpat adds. `what` names the URL in the message.
pub fn check_url(what: &str, raw: &str) -> Result<url::Url, String> {
    let raw = raw.trim();
    let url = url::Url::parse(raw).map_err(|_| format!("The {what} '{raw}' is not a URL."))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!(
            "The {what} '{raw}' must be an http(s) URL with a host."
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "The {what} '{raw}' must not have a query or fragment."
        ));
    }
    Ok(url)
}

#[derive(Clone, Debug, Default)]
pub struct Outbound {
    allowed: Arc<[IpNet]>,
}

/// Addresses on the public internet: not this host, its networks or the cloud's metadata.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || a == 0
                // Carrier-grade NAT, 100.64.0.0/10: as private as 10/8 to whoever runs it.
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00 // unique local, fc00::/7
                || (first & 0xffc0) == 0xfe80) // link-local, fe80::/10
        }
    }
}

impl Outbound {
    /// `list`: comma-separated CIDRs (or single addresses) that may be called although private.
    pub fn parse(list: &str) -> Result<Self, String> {
        let allowed = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("'{s}' is neither a CIDR (10.0.0.0/8) nor an address"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Outbound {
            allowed: allowed.into(),
        })
    }

    /// The same, also permitting `ip` (`gitpat demo` permits its own emulator).
    pub fn also(&self, ip: IpAddr) -> Outbound {
        let mut allowed = self.allowed.to_vec();
        allowed.push(IpNet::from(ip));
        Outbound {
            allowed: allowed.into(),
        }
    }

    pub fn permits(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allowed.iter().any(|n| n.contains(&ip))
    }

    /// Checks a URL an admin gives: its host, or every address its name resolves to now, must
    /// be permitted. The message names the URL's role (`what`) and the address, never more.
    pub async fn check_url(&self, what: &str, raw: &str) -> Result<(), String> {
        let url = url::Url::parse(raw).map_err(|_| format!("The {what} is not a URL."))?;
        let host = url
            .host_str()
            .ok_or_else(|| format!("The {what} has no host."))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            // A name that does not resolve yet is let through: the resolver checks each call.
            Err(_) => match tokio::net::lookup_host((host.as_str(), port)).await {
                Ok(found) => found.map(|a| a.ip()).collect(),
                Err(_) => return Ok(()),
            },
        };
        match addrs.iter().find(|ip| !self.permits(**ip)) {
            Some(ip) => Err(format!(
                "The {what} leads to {ip}, a private or local address gitpat does not call \
                 (an operator can allow it with GITPAT_ALLOW_PRIVATE_NETWORKS)."
            )),
            None => Ok(()),
        }
    }
}

/// The resolver of the providers' HTTP client: the system's answer without the addresses gitpat
/// may not call; a name left with none fails to connect.
pub struct GuardedResolver(pub Outbound);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let outbound = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| outbound.permits(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} resolves to no address gitpat may call").into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_local_addresses_are_refused_unless_allowed() {
        let none = Outbound::default();
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!none.permits(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["140.82.112.3", "2606:50c0:8000::153", "100.128.0.1"] {
            assert!(none.permits(ip.parse().unwrap()), "{ip}");
        }
        let lab = Outbound::parse("10.0.0.0/8, ::1").unwrap();
        assert!(lab.permits("10.9.9.9".parse().unwrap()));
        assert!(lab.permits("::1".parse().unwrap()));
        assert!(!lab.permits("192.168.1.1".parse().unwrap()));
        assert!(Outbound::parse("10.0.0.0/40").is_err());
    }

    #[tokio::test]
    async fn urls_are_checked_by_their_addresses() {
        let none = Outbound::default();
        let err = none
            .check_url("API URL", "http://169.254.169.254/latest/meta-data")
            .await
            .unwrap_err();
        assert!(err.contains("169.254.169.254") && err.contains("GITPAT_ALLOW_PRIVATE_NETWORKS"));
        let err = none
            .check_url("token URL", "http://localhost:9/x")
            .await
            .unwrap_err();
        assert!(err.contains("token URL leads to"), "{err}");
        assert!(none.check_url("API URL", "http://[::1]:9/").await.is_err());
        let lab = Outbound::parse("127.0.0.0/8, ::1").unwrap();
        assert!(lab
            .check_url("API URL", "http://localhost:9/x")
            .await
            .is_ok());
    }
}
