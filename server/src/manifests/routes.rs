//! The tenant's routes: one Ingress (with TLS) serving each routed
//! component under its path on every host of the tenant, or, on a console
//! routing through Gateway API where the cluster serves it, one HTTPRoute
//! attached to the configured Gateway; and the certificate where
//! cert-manager is served.

use serde_json::{json, Value};

use super::{metadata, Capabilities, Manifest, RenderSettings, TenantInput};

/// The kinds a tenant's routes are: what the application step applies and
/// a suspend removes.
pub const ROUTE_KINDS: [&str; 2] = ["Ingress", "HTTPRoute"];

/// The Secret holding the tenant's TLS certificate (and the Certificate's name).
pub const TLS_SECRET: &str = "tenant-tls";

/// Hosts the Ingress serves: the platform subdomain, then the custom domain.
pub fn hosts(t: &TenantInput, s: &RenderSettings) -> Vec<String> {
    tenant_hosts(t.id, t.custom_domain, s)
}

/// A tenant's hosts from its ID and custom domain: what the Ingress serves
/// and what the console links.
pub fn tenant_hosts(id: &str, custom_domain: Option<&str>, s: &RenderSettings) -> Vec<String> {
    let mut hosts = vec![format!("{id}.{}", s.base_domain)];
    if let Some(d) = custom_domain {
        hosts.push(d.to_string());
    }
    hosts
}

/// Each routed component: (path, component, port name, service port).
fn routed<'a>(t: &'a TenantInput) -> Vec<(&'a str, &'a str, &'a str, u16)> {
    t.release
        .components
        .iter()
        .filter_map(|c| {
            let route = c.route.as_ref()?;
            let port = match route.port.as_deref() {
                Some(name) => c.ports.iter().find(|p| p.name == name)?,
                None => c.ports.first()?,
            };
            let number = port.service_port.unwrap_or(port.container_port);
            Some((
                route.path.as_str(),
                c.name.as_str(),
                port.name.as_str(),
                number,
            ))
        })
        .collect()
}

pub(super) fn render(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    ns: &str,
) -> Vec<Manifest> {
    if s.routes_through_gateway(caps) {
        return http_route(t, s, caps, ns);
    }
    let paths: Vec<Value> = routed(t)
        .into_iter()
        .map(|(path, service, port, _)| {
            json!({
                "path": path,
                "pathType": "Prefix",
                "backend": { "service": { "name": service, "port": { "name": port } } },
            })
        })
        .collect();
    if paths.is_empty() {
        return vec![];
    }
    let hosts = hosts(t, s);
    let rules: Vec<Value> = hosts
        .iter()
        .map(|h| json!({ "host": h, "http": { "paths": paths } }))
        .collect();
    let mut out = vec![];
    let mut ingress_meta = metadata(t, "tenant", ns, "ingress");
    let mut annotations = super::edge::ingress_annotations(t, s);
    if caps.cert_manager {
        out.push(certificate(t, s, ns, &hosts));
    } else {
        annotations.insert(
            "cert-manager.io/cluster-issuer".into(),
            json!(s.cluster_issuer),
        );
    }
    if !annotations.is_empty() {
        ingress_meta["annotations"] = Value::Object(annotations);
    }
    let mut spec = json!({ "tls": [{ "hosts": hosts, "secretName": TLS_SECRET }], "rules": rules });
    if let Some(class) = &s.ingress_class {
        spec["ingressClassName"] = json!(class);
    }
    out.push(Manifest::new(
        "networking.k8s.io/v1",
        "Ingress",
        "ingresses",
        "tenant",
        Some(ns),
        json!({ "metadata": ingress_meta, "spec": spec }),
    ));
    out
}

/// The tenant's HTTPRoute: its hosts, a rule per routed component (longest
/// path first is the Gateway's to decide: Gateway API orders matches by
/// specificity), attached to the configured Gateway, which terminates TLS.
fn http_route(t: &TenantInput, s: &RenderSettings, caps: &Capabilities, ns: &str) -> Vec<Manifest> {
    let (Some((gw_ns, gw_name)), Some(version)) = (&s.gateway, &caps.httproute) else {
        return vec![];
    };
    let rules: Vec<Value> = routed(t)
        .into_iter()
        .map(|(path, service, _, port)| {
            json!({
                "matches": [{ "path": { "type": "PathPrefix", "value": path } }],
                "backendRefs": [{ "name": service, "port": port }],
            })
        })
        .collect();
    if rules.is_empty() {
        return vec![];
    }
    let hosts = hosts(t, s);
    let mut out = vec![];
    if caps.cert_manager {
        out.push(certificate(t, s, ns, &hosts));
    }
    out.push(Manifest::new(
        version,
        "HTTPRoute",
        "httproutes",
        "tenant",
        Some(ns),
        json!({
            "metadata": metadata(t, "tenant", ns, "ingress"),
            "spec": {
                "parentRefs": [{
                    "group": "gateway.networking.k8s.io",
                    "kind": "Gateway",
                    "namespace": gw_ns,
                    "name": gw_name,
                }],
                "hostnames": hosts,
                "rules": rules,
            },
        }),
    ));
    out.extend(super::edge::route_policy(t, s, caps, (ns, "tenant")));
    out
}

/// The tenant's certificate for its hosts (into `tenant-tls`), rendered
/// here and labelled, so the cluster index watches its state.
fn certificate(t: &TenantInput, s: &RenderSettings, ns: &str, hosts: &[String]) -> Manifest {
    Manifest::new(
        "cert-manager.io/v1",
        "Certificate",
        "certificates",
        TLS_SECRET,
        Some(ns),
        json!({
            "metadata": metadata(t, TLS_SECRET, ns, "certificate"),
            "spec": {
                "secretName": TLS_SECRET,
                "dnsNames": hosts,
                "issuerRef": { "name": s.cluster_issuer, "kind": "ClusterIssuer", "group": "cert-manager.io" },
            },
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::RouteApi;

    fn gateway_settings() -> RenderSettings {
        RenderSettings {
            route_api: RouteApi::Gateway,
            gateway: Some(("gateways".into(), "public".into())),
            ..RenderSettings::default()
        }
    }

    /// A Gateway-API console routes by HTTPRoute only where the cluster
    /// serves it; elsewhere its tenants get their Ingress, the
    /// NetworkPolicy lets the ingress controller in, and it is told why.
    #[test]
    fn a_gateway_console_falls_back_to_an_ingress_where_httproute_is_not_served() {
        let s = gateway_settings();
        let served = Capabilities {
            httproute: Some("gateway.networking.k8s.io/v1".into()),
            ..Default::default()
        };
        let none = Capabilities::default();
        assert!(s.routes_through_gateway(&served));
        assert_eq!(s.edge_namespace(&served), "gateways");
        assert_eq!(s.route_warning(&served), None);
        assert!(!s.routes_through_gateway(&none));
        assert_eq!(s.edge_namespace(&none), "ingress-nginx");
        assert!(s
            .route_warning(&none)
            .is_some_and(|w| w.contains("Ingress")));
        // An Ingress console never routes by HTTPRoute, served or not.
        let ingress = RenderSettings::default();
        assert!(!ingress.routes_through_gateway(&served));
        assert_eq!(ingress.route_warning(&none), None);

        let tier = crate::store::seed_templates()
            .into_iter()
            .find(|t| t.key == "free")
            .expect("free")
            .spec;
        let input = crate::manifests::tests::acme("free", &tier, None);
        let kinds = |caps: &Capabilities| -> Vec<String> {
            render(&input, &s, caps, input.namespace)
                .into_iter()
                .map(|m| m.kind)
                .collect()
        };
        assert_eq!(kinds(&served), ["HTTPRoute"]);
        assert_eq!(kinds(&none), ["Ingress"]);
        // No Gateway named: refused when the console starts.
        let unnamed = RenderSettings {
            gateway: None,
            ..gateway_settings()
        };
        assert!(unnamed.validate().is_err());
    }
}
