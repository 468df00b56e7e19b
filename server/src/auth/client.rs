//! Who is on the other end: the peer's address, or, only when the peer is a
//! proxy the operator named with `--trusted-proxies`, the address that
//! proxy reports in `X-Forwarded-For`. Throttling and the audit log use it;
//! a client cannot pick its own address by sending the header.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

/// The client address of a request, put into its extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Proxies whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    fn trusts(&self, ip: &IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The client behind `peer`: walking `X-Forwarded-For` from the right
    /// (the hop nearest to us), the first address that is not a trusted
    /// proxy. Untrusted peers, and malformed headers, give the peer itself.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusts(&peer) {
            return peer;
        }
        let Some(header) = forwarded_for else {
            return peer;
        };
        let mut last = peer;
        for hop in header.rsplit(',').map(str::trim) {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                return last;
            };
            if !self.trusts(&ip) {
                return ip;
            }
            last = ip;
        }
        last
    }
}

/// Puts the request's [`ClientAddr`] into its extensions.
pub async fn client_address(
    State(proxies): State<Arc<TrustedProxies>>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(peer) = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    {
        let forwarded: Option<String> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .reduce(|a, b| format!("{a},{b}"));
        let ip = proxies.client(peer, forwarded.as_deref());
        req.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(req).await
}

/// The client address of a request, as text ("unknown" without one).
pub fn address_of(req: &http::request::Parts) -> String {
    req.extensions
        .get::<ClientAddr>()
        .map(|c| c.0.to_string())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("10.0.0.5"), Some("6.6.6.6")),
            ip("10.0.0.5"),
            "no proxy is trusted: the header is ignored"
        );
        let lb = TrustedProxies(vec!["10.0.0.0/8".parse().expect("net")]);
        assert_eq!(
            lb.client(ip("10.0.0.5"), Some("203.0.113.7")),
            ip("203.0.113.7")
        );
        assert_eq!(
            lb.client(ip("10.0.0.5"), Some("6.6.6.6, 203.0.113.7, 10.1.2.3")),
            ip("203.0.113.7"),
            "the client may prepend anything; the nearest untrusted hop counts"
        );
        assert_eq!(lb.client(ip("192.0.2.1"), Some("6.6.6.6")), ip("192.0.2.1"));
        assert_eq!(lb.client(ip("10.0.0.5"), Some("junk")), ip("10.0.0.5"));
        assert_eq!(lb.client(ip("10.0.0.5"), None), ip("10.0.0.5"));
    }
}
