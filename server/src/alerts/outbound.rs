//! The one guarded way out for notifications (webhooks, Slack, PagerDuty,
//! SMTP): a channel's destination is typed by an admin, so it must not be
//! able to reach what only the console can (loopback, link-local and cloud
//! metadata, private ranges, the cluster's own ranges). Every address a
//! destination resolves to is checked when the connection is made (so a
//! name that later resolves inward is refused too); an operator's
//! allow-list (`--outbound-allow`) lets chosen ranges through. Redirects
//! are never followed.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;

/// Ranges no channel may reach unless allowed: loopback, "this network",
/// private (RFC 1918, RFC 4193, site-local), shared (RFC 6598), link-local
/// (with cloud metadata at 169.254.169.254), multicast and reserved, and
/// the IPv6 forms that embed an IPv4 address.
const REFUSED: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/3",
    // IPv6 forms that carry an IPv4 address, which a gateway would reach:
    // IPv4-compatible (with :: and ::1), NAT64, 6to4.
    "::/96",
    "64:ff9b::/96",
    "64:ff9b:1::/48",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
];

/// What notifications may reach.
#[derive(Clone, Debug, Default)]
pub struct Outbound {
    /// Let through although refused (`--outbound-allow`).
    pub allow: Vec<IpNet>,
    /// Refused besides the built-in ranges: the cluster's pod and service
    /// ranges (`--outbound-deny`).
    pub deny: Vec<IpNet>,
}

impl Outbound {
    /// Whether a channel may connect to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        // An IPv4 address written as IPv6 is judged as IPv4.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        if self.allow.iter().any(|n| n.contains(&ip)) {
            return true;
        }
        let refused = REFUSED
            .iter()
            .filter_map(|r| r.parse::<IpNet>().ok())
            .chain(self.deny.iter().copied())
            .any(|n| n.contains(&ip));
        !refused
    }

    fn refusal(host: &str, ip: IpAddr) -> String {
        format!(
            "refused: {host} is {ip}, an internal address (an operator may allow it with \
             --outbound-allow)"
        )
    }

    /// The addresses of `host` a channel may connect to; an error naming
    /// the host when there are none.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let found: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::time::timeout(
                Duration::from_secs(10),
                tokio::net::lookup_host((bare, port)),
            )
            .await
            .map_err(|_| format!("{host} did not resolve in time"))?
            .map_err(|_| format!("{host} does not resolve"))?
            .collect(),
        };
        let (ok, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
            found.into_iter().partition(|a| self.permits(a.ip()));
        match (ok.is_empty(), refused.first()) {
            (false, _) => Ok(ok),
            (true, Some(r)) => Err(Self::refusal(host, r.ip())),
            (true, None) => Err(format!("{host} does not resolve")),
        }
    }

    /// Checks a URL whose host is an address (reqwest resolves only names
    /// through [`Outbound::http_client`]'s resolver).
    pub fn check_url(&self, url: &str) -> Result<(), String> {
        let parsed = url::Url::parse(url).map_err(|_| "not a URL".to_string())?;
        let ip = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => return Ok(()),
        };
        if self.permits(ip) {
            Ok(())
        } else {
            Err(Self::refusal(&ip.to_string(), ip))
        }
    }

    /// An HTTP client that never follows a redirect and connects only to
    /// addresses this allows (`ca`: an extra root certificate, PEM).
    pub fn http_client(&self, ca: &str, timeout: Duration) -> Result<reqwest::Client, String> {
        // No proxy from the environment: a proxy resolves the name itself,
        // past this check.
        let mut b = reqwest::Client::builder()
            .timeout(timeout)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(Guarded(self.clone())));
        if !ca.is_empty() {
            let cert = reqwest::Certificate::from_pem(ca.as_bytes())
                .map_err(|e| format!("CA certificate: {e}"))?;
            b = b.add_root_certificate(cert);
        }
        b.build().map_err(|e| format!("HTTP client: {e}"))
    }
}

/// reqwest's resolver, through [`Outbound::resolve`].
struct Guarded(Outbound);

impl reqwest::dns::Resolve for Guarded {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let outbound = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = outbound
                .resolve(&host, 0)
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused_unless_allowed() {
        let none = Outbound::default();
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.20.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
            "::a00:1",
            "fec0::1",
        ] {
            assert!(!none.permits(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.215.14", "2606:4700::1111", "8.8.8.8"] {
            assert!(none.permits(ip.parse().unwrap()), "{ip}");
        }
        let cluster = Outbound {
            allow: vec!["127.0.0.1/32".parse().unwrap()],
            deny: vec!["203.0.113.0/24".parse().unwrap()],
        };
        assert!(cluster.permits("127.0.0.1".parse().unwrap()));
        assert!(!cluster.permits("127.0.0.2".parse().unwrap()));
        assert!(!cluster.permits("203.0.113.7".parse().unwrap()));
        let e = none.check_url("http://127.0.0.1:9/x?token=s").unwrap_err();
        assert!(
            e.contains("--outbound-allow") && !e.contains("token"),
            "{e}"
        );
        assert!(none.check_url("http://[::1]:9/").is_err());
        assert!(none.check_url("https://hooks.example.com/").is_ok());
    }

    #[tokio::test]
    async fn names_are_judged_by_what_they_resolve_to() {
        let none = Outbound::default();
        let e = none.resolve("localhost", 80).await.unwrap_err();
        assert!(e.contains("refused: localhost"), "{e}");
        let allowed = Outbound {
            allow: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
            deny: vec![],
        };
        assert!(!allowed.resolve("localhost", 80).await.unwrap().is_empty());
    }
}
