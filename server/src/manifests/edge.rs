//! The plan's limits at the edge: a request rate (`requests-per-minute`)
//! and a request-body size (`request-body-mb`), rendered for the route in
//! use the way the console's edge documents it: ingress-nginx's
//! annotations on the tenant's Ingress, or Envoy Gateway's
//! `BackendTrafficPolicy` on its HTTPRoute (where the cluster serves it).

use app::domain::template_rules::{EDGE_BODY_LIMIT, EDGE_RATE_LIMIT};
use serde_json::{json, Map, Value};

use super::{metadata, Capabilities, Manifest, RenderSettings, TenantInput};

/// What enforces a plan's edge limits; a console setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum EdgeLimits {
    /// ingress-nginx's `limit-rpm` and `proxy-body-size` annotations.
    #[default]
    IngressNginx,
    /// Envoy Gateway's `BackendTrafficPolicy` (local rate limit, request
    /// buffer limit) attached to the tenant's HTTPRoute.
    EnvoyGateway,
    /// Not enforced by Tenantry (the application reads its limits).
    None,
}

/// Envoy Gateway's policy API (discovered).
pub const ENVOY_POLICY_API: &str = "gateway.envoyproxy.io/v1alpha1";

/// The plan's (rate a minute, body MiB), each where the plan sets it.
fn limits(t: &TenantInput) -> (Option<u64>, Option<u64>) {
    let l = &t.tier.limits;
    (
        l.get(EDGE_RATE_LIMIT).copied(),
        l.get(EDGE_BODY_LIMIT).copied(),
    )
}

/// The Ingress annotations enforcing the plan's edge limits (none unless
/// the edge is ingress-nginx and the plan sets one).
pub(super) fn ingress_annotations(t: &TenantInput, s: &RenderSettings) -> Map<String, Value> {
    let mut out = Map::new();
    if s.edge_limits != EdgeLimits::IngressNginx {
        return out;
    }
    let (rate, body) = limits(t);
    if let Some(n) = rate {
        out.insert(
            "nginx.ingress.kubernetes.io/limit-rpm".into(),
            json!(n.to_string()),
        );
    }
    if let Some(mb) = body {
        out.insert(
            "nginx.ingress.kubernetes.io/proxy-body-size".into(),
            json!(format!("{mb}m")),
        );
    }
    out
}

/// Envoy Gateway's policy for the tenant's HTTPRoute `route`, when the
/// edge is Envoy Gateway, the cluster serves its policies and the plan
/// sets a limit.
pub(super) fn route_policy(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    (ns, route): (&str, &str),
) -> Option<Manifest> {
    if s.edge_limits != EdgeLimits::EnvoyGateway || !caps.envoy_policy {
        return None;
    }
    let (rate, body) = limits(t);
    if rate.is_none() && body.is_none() {
        return None;
    }
    let mut spec = json!({
        "targetRefs": [{ "group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": route }],
    });
    if let Some(n) = rate {
        spec["rateLimit"] = json!({
            "type": "Local",
            "local": { "rules": [{ "limit": { "requests": n, "unit": "Minute" } }] },
        });
    }
    if let Some(mb) = body {
        spec["requestBuffer"] = json!({ "limit": format!("{mb}Mi") });
    }
    Some(Manifest::new(
        ENVOY_POLICY_API,
        "BackendTrafficPolicy",
        "backendtrafficpolicies",
        route,
        Some(ns),
        json!({ "metadata": metadata(t, route, ns, "ingress"), "spec": spec }),
    ))
}

/// What staff are told when the plan sets edge limits the console's edge
/// cannot enforce on this cluster.
pub fn edge_warning(
    s: &RenderSettings,
    caps: &Capabilities,
    tier: &app::dto::TierSpec,
) -> Option<String> {
    let set: Vec<&str> = [EDGE_RATE_LIMIT, EDGE_BODY_LIMIT]
        .into_iter()
        .filter(|l| tier.limits.contains_key(*l))
        .collect();
    if set.is_empty() {
        return None;
    }
    let gateway = s.routes_through_gateway(caps);
    let why = match s.edge_limits {
        EdgeLimits::None => "the console enforces no limits at the edge (--edge-limits none)",
        EdgeLimits::IngressNginx if gateway => {
            "tenants are routed by HTTPRoute, and ingress-nginx's annotations apply to Ingresses only"
        }
        EdgeLimits::EnvoyGateway if !gateway => {
            "tenants are routed by Ingress, and Envoy Gateway's policies apply to HTTPRoutes only"
        }
        EdgeLimits::EnvoyGateway if !caps.envoy_policy => {
            "the cluster serves no BackendTrafficPolicy (gateway.envoyproxy.io/v1alpha1)"
        }
        _ => return None,
    };
    Some(format!(
        "The plan's {} {} not enforced at the edge: {why}.",
        set.join(" and "),
        if set.len() == 1 { "is" } else { "are" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::{render, RouteApi};

    fn tier(limits: &[(&str, u64)]) -> app::dto::TierSpec {
        let mut t = crate::store::seed_templates()
            .into_iter()
            .find(|t| t.key == "free")
            .expect("free")
            .spec;
        t.limits = limits.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        t
    }

    fn kinds_and_edge(
        t: &app::dto::TierSpec,
        s: &RenderSettings,
        caps: &Capabilities,
    ) -> Vec<(String, Value)> {
        let input = crate::manifests::tests::acme("free", t, None);
        render(&input, s, caps)
            .into_iter()
            .filter(|m| m.kind == "Ingress" || m.kind == "BackendTrafficPolicy")
            .map(|m| {
                let edge = if m.kind == "Ingress" {
                    m.body["metadata"]["annotations"].clone()
                } else {
                    m.body["spec"].clone()
                };
                (m.kind, edge)
            })
            .collect()
    }

    /// The plan's rate and body limits reach the edge the console names:
    /// ingress-nginx's annotations, or Envoy Gateway's policy on the
    /// HTTPRoute where the cluster serves it; a plan without them, or a
    /// console enforcing none, renders nothing, and staff are told when
    /// the limits cannot be enforced.
    #[test]
    fn the_plans_limits_are_enforced_at_the_edge_in_use() {
        let limited = tier(&[(EDGE_RATE_LIMIT, 600), (EDGE_BODY_LIMIT, 20)]);
        let plain = tier(&[("schools", 10)]);
        let caps = Capabilities {
            httproute: Some("gateway.networking.k8s.io/v1".into()),
            envoy_policy: true,
            ..Default::default()
        };
        let nginx = RenderSettings {
            cluster_issuer: "issuer".into(),
            ..RenderSettings::default()
        };
        let got = kinds_and_edge(&limited, &nginx, &caps);
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].1,
            json!({
                "cert-manager.io/cluster-issuer": "issuer",
                "nginx.ingress.kubernetes.io/limit-rpm": "600",
                "nginx.ingress.kubernetes.io/proxy-body-size": "20m",
            })
        );
        assert_eq!(
            kinds_and_edge(&plain, &nginx, &caps)[0].1,
            json!({ "cert-manager.io/cluster-issuer": "issuer" })
        );
        assert_eq!(edge_warning(&nginx, &caps, &limited), None);

        let envoy = RenderSettings {
            route_api: RouteApi::Gateway,
            gateway: Some(("gateways".into(), "public".into())),
            edge_limits: EdgeLimits::EnvoyGateway,
            ..RenderSettings::default()
        };
        let got = kinds_and_edge(&limited, &envoy, &caps);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "BackendTrafficPolicy");
        assert_eq!(got[0].1["targetRefs"][0]["name"], "tenant");
        assert_eq!(
            got[0].1["rateLimit"]["local"]["rules"][0]["limit"],
            json!({ "requests": 600, "unit": "Minute" })
        );
        assert_eq!(got[0].1["requestBuffer"]["limit"], "20Mi");
        assert!(kinds_and_edge(&plain, &envoy, &caps).is_empty());

        // Not served, or an edge that cannot enforce them: nothing
        // rendered, and a warning that names the limits and why.
        let unserved = Capabilities {
            envoy_policy: false,
            ..caps.clone()
        };
        assert!(kinds_and_edge(&limited, &envoy, &unserved).is_empty());
        let w = edge_warning(&envoy, &unserved, &limited).expect("a warning");
        assert!(
            w.contains("requests-per-minute and request-body-mb are not enforced")
                && w.contains("BackendTrafficPolicy"),
            "{w}"
        );
        let nginx_on_gateway = RenderSettings {
            edge_limits: EdgeLimits::IngressNginx,
            ..envoy.clone()
        };
        assert!(edge_warning(&nginx_on_gateway, &caps, &limited)
            .is_some_and(|w| w.contains("Ingresses only")));
        let none = RenderSettings {
            edge_limits: EdgeLimits::None,
            ..nginx.clone()
        };
        assert_eq!(
            kinds_and_edge(&limited, &none, &caps)[0].1,
            json!({ "cert-manager.io/cluster-issuer": "issuer" })
        );
        assert!(edge_warning(&none, &caps, &limited).is_some());
        assert_eq!(edge_warning(&none, &caps, &plain), None);
    }
}
