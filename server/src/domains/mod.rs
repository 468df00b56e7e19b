//! Custom domains checked in DNS before they are served: a domain must
//! resolve to the configured ingress address, or name the configured
//! target (a CNAME to it, or the same addresses). The resolver is the
//! system's (`/etc/resolv.conf`) unless a `host:port` is configured (tests
//! use a local DNS server). Nothing is cached: a re-check sees a fixed
//! record at once.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::TokioResolver;

mod recheck;

pub use recheck::{recheck_held, spawn_rechecks};

/// How long one lookup may take.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

/// What a custom domain must point at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainTarget {
    /// The ingress's address: the domain's A/AAAA records hold it.
    Address(IpAddr),
    /// The ingress's name: the domain is a CNAME to it, or resolves to
    /// the same addresses.
    Name(String),
}

impl DomainTarget {
    pub fn parse(text: &str) -> Result<DomainTarget, String> {
        let text = text.trim().trim_end_matches('.').to_ascii_lowercase();
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(DomainTarget::Address(ip));
        }
        app::domain::validate::validate_custom_domain(&text)
            .map(DomainTarget::Name)
            .map_err(|e| {
                format!("the domain target \"{text}\" is neither an address nor a host name: {e}")
            })
    }
}

impl std::fmt::Display for DomainTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DomainTarget::Address(ip) => write!(f, "{ip}"),
            DomainTarget::Name(n) => write!(f, "{n}"),
        }
    }
}

/// What a check found: whether the domain points here, and in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub ok: bool,
    pub detail: String,
}

/// The DNS check of custom domains.
pub struct DnsCheck {
    resolver: TokioResolver,
    pub target: DomainTarget,
}

impl std::fmt::Debug for DnsCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsCheck")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl DnsCheck {
    /// Checks against `target`, asking `resolver` (`host:port`, UDP and
    /// TCP) or the system's resolvers.
    pub fn new(target: DomainTarget, resolver: Option<SocketAddr>) -> Result<DnsCheck, String> {
        let mut opts = ResolverOpts::default();
        opts.cache_size = 0;
        opts.timeout = LOOKUP_TIMEOUT;
        opts.attempts = 1;
        let builder = match resolver {
            Some(at) => {
                let mut config = ResolverConfig::new();
                config.add_name_server(NameServerConfig::new(at, Protocol::Udp));
                config.add_name_server(NameServerConfig::new(at, Protocol::Tcp));
                TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
            }
            None => TokioResolver::builder_tokio()
                .map_err(|e| format!("the system's DNS settings: {e}"))?,
        };
        Ok(DnsCheck {
            resolver: builder.with_options(opts).build(),
            target,
        })
    }

    /// The addresses `name` resolves to (none when it does not).
    async fn addresses(&self, name: &str) -> BTreeSet<IpAddr> {
        match self.resolver.lookup_ip(format!("{name}.")).await {
            Ok(found) => found.iter().collect(),
            Err(_) => BTreeSet::new(),
        }
    }

    /// Whether `domain` points at the target, and what it was found to be.
    pub async fn check(&self, domain: &str) -> Verdict {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let cname: Option<String> = match self
            .resolver
            .lookup(format!("{domain}."), RecordType::CNAME)
            .await
        {
            Ok(found) => found.record_iter().find_map(|r| match r.data() {
                RData::CNAME(c) => Some(c.0.to_ascii().trim_end_matches('.').to_ascii_lowercase()),
                _ => None,
            }),
            Err(_) => None,
        };
        let found = self.addresses(&domain).await;
        let shown = |ips: &BTreeSet<IpAddr>| {
            ips.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let ok = |detail: String| Verdict { ok: true, detail };
        let held = |detail: String| Verdict { ok: false, detail };
        match &self.target {
            DomainTarget::Name(target) if cname.as_deref() == Some(target.as_str()) => {
                ok(format!("{domain} is a CNAME to {target}"))
            }
            _ if found.is_empty() => held(match &cname {
                Some(c) => format!(
                    "{domain} is a CNAME to {c}, which does not resolve; it must point at {}",
                    self.target
                ),
                None => format!(
                    "{domain} does not resolve; it must point at {}",
                    self.target
                ),
            }),
            DomainTarget::Address(ip) if found.contains(ip) => {
                ok(format!("{domain} resolves to {ip}"))
            }
            DomainTarget::Address(ip) => {
                held(format!("{domain} resolves to {}, not {ip}", shown(&found)))
            }
            DomainTarget::Name(target) => {
                let wanted = self.addresses(target).await;
                if !wanted.is_empty() && !found.is_disjoint(&wanted) {
                    ok(format!(
                        "{domain} resolves to {}, as {target} does",
                        shown(&found)
                    ))
                } else {
                    held(format!(
                        "{domain} resolves to {}, not to {target} ({}); make it a CNAME to {target}",
                        shown(&found),
                        if wanted.is_empty() { "which does not resolve".to_string() } else { shown(&wanted) }
                    ))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_an_address_or_a_host_name() {
        assert_eq!(
            DomainTarget::parse("203.0.113.7"),
            Ok(DomainTarget::Address("203.0.113.7".parse().unwrap()))
        );
        assert_eq!(
            DomainTarget::parse("Ingress.Example.NET."),
            Ok(DomainTarget::Name("ingress.example.net".into()))
        );
        assert!(DomainTarget::parse("not a host").is_err());
    }
}
