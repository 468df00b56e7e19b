//! Render settings (from configuration) and what the cluster serves.

use crate::error::{Result, ServerError};

/// Where tenants live and what they run; from the console's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderSettings {
    /// Tenants are reached at `<id>.<base_domain>`.
    pub base_domain: String,
    /// Namespaces are `<prefix><id>`; at most 7 characters so any valid
    /// tenant ID still fits the 63-character limit.
    pub namespace_prefix: String,
    /// Mirror prefix for image names that name no registry (`api:1.0.0`,
    /// `library/wordpress:6`), e.g. `registry.example.com/shop`; names with
    /// a registry host are used as they are.
    pub image_registry: String,
    /// Image of the pre-deprovisioning database dump.
    pub backup_image: String,
    /// Where dumps go: `s3://bucket[/prefix]`; each tenant's under
    /// `<prefix>/<tenant>/`.
    pub backup_destination: String,
    /// The S3 API's URL (empty: AWS in `backup_region`).
    pub backup_endpoint: String,
    pub backup_region: String,
    /// Server-side encryption asked of the store (`AES256`, `aws:kms`).
    pub backup_sse: Option<String>,
    pub storage_class: Option<String>,
    pub ingress_class: Option<String>,
    pub cluster_issuer: String,
    /// Namespace of the ingress controller, allowed through the NetworkPolicy.
    pub ingress_namespace: String,
    /// How tenants are routed: an Ingress, or Gateway API's HTTPRoute
    /// attached to `gateway` (where the cluster serves it).
    pub route_api: RouteApi,
    /// The Gateway HTTPRoutes attach to: (namespace, name). Its namespace
    /// is let through the NetworkPolicy.
    pub gateway: Option<(String, String)>,
    /// What enforces the plans' edge limits (request rate, body size).
    pub edge_limits: super::EdgeLimits,
    /// The namespace the console itself runs in (when in a cluster): no
    /// tenant may take it.
    pub console_namespace: Option<String>,
}

impl Default for RenderSettings {
    fn default() -> Self {
        Self {
            base_domain: "tenants.example.com".into(),
            namespace_prefix: app::domain::tenant_id::NAMESPACE_PREFIX.into(),
            image_registry: "registry.example.com/tenantry".into(),
            backup_image: "backup:1.0.0".into(),
            backup_destination: "s3://tenantry-backups".into(),
            backup_endpoint: String::new(),
            backup_region: "us-east-1".into(),
            backup_sse: None,
            storage_class: None,
            ingress_class: Some("nginx".into()),
            cluster_issuer: "letsencrypt-prod".into(),
            ingress_namespace: "ingress-nginx".into(),
            route_api: RouteApi::Ingress,
            gateway: None,
            edge_limits: super::EdgeLimits::IngressNginx,
            console_namespace: None,
        }
    }
}

/// The API tenants are routed through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum RouteApi {
    /// `networking.k8s.io/v1` Ingress (the ingress controller's class).
    #[default]
    Ingress,
    /// Gateway API's `HTTPRoute`, attached to the configured Gateway;
    /// an Ingress on a cluster that does not serve HTTPRoute.
    Gateway,
}

impl RenderSettings {
    /// Refuses settings that would render invalid objects.
    pub fn validate(&self) -> Result<()> {
        let p = &self.namespace_prefix;
        let prefix_ok = !p.is_empty()
            && p.len() <= app::domain::tenant_id::NAMESPACE_PREFIX.len()
            && p.starts_with(|c: char| c.is_ascii_lowercase())
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !prefix_ok {
            return Err(ServerError::Config(format!(
                "namespace prefix \"{p}\" must be 1 to 7 of a-z, 0-9, '-', starting with a letter"
            )));
        }
        app::domain::tenant_id::check_namespace_prefix(p, self.console_namespace.as_deref())
            .map_err(|rule| ServerError::Config(format!("namespace prefix {rule}")))?;
        if super::split_destination(&self.backup_destination).is_none() {
            return Err(ServerError::Config(format!(
                "backup destination \"{}\" must be s3://bucket or s3://bucket/prefix",
                self.backup_destination
            )));
        }
        if !(self.backup_endpoint.is_empty()
            || self.backup_endpoint.starts_with("https://")
            || self.backup_endpoint.starts_with("http://"))
        {
            return Err(ServerError::Config(
                "backup endpoint must be an http:// or https:// URL".into(),
            ));
        }
        app::domain::validate::validate_custom_domain(&self.base_domain)
            .map_err(|rule| ServerError::Config(format!("base domain {rule}")))?;
        if self.route_api == RouteApi::Gateway && self.gateway.is_none() {
            return Err(ServerError::Config(
                "--route-api gateway needs the Gateway routes attach to: --gateway <namespace>/<name>"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Whether tenants get an HTTPRoute on a cluster with `caps` (else an
    /// Ingress).
    pub fn routes_through_gateway(&self, caps: &Capabilities) -> bool {
        self.route_api == RouteApi::Gateway && self.gateway.is_some() && caps.httproute.is_some()
    }

    /// The namespace the edge (ingress controller or Gateway) runs in: what
    /// the NetworkPolicy lets in.
    pub fn edge_namespace(&self, caps: &Capabilities) -> &str {
        match &self.gateway {
            Some((ns, _)) if self.routes_through_gateway(caps) => ns,
            _ => &self.ingress_namespace,
        }
    }

    /// What a console routing through Gateway API is told on a cluster
    /// that serves no HTTPRoute.
    pub fn route_warning(&self, caps: &Capabilities) -> Option<String> {
        (self.route_api == RouteApi::Gateway && caps.httproute.is_none()).then(|| {
            "The console routes tenants through Gateway API, but the cluster serves no HTTPRoute \
             (gateway.networking.k8s.io): tenants get an Ingress instead."
                .to_string()
        })
    }

    /// The namespace a new tenant `id` would get, refused (with the rule) when
    /// it is one of the cluster's own or the console's.
    pub fn tenant_namespace(&self, id: &str) -> Result<String, String> {
        let ns = super::namespace_of(self, id);
        app::domain::tenant_id::check_namespace(&ns, self.console_namespace.as_deref())?;
        Ok(ns)
    }

    /// An image as pods pull it: through the mirror prefix unless the
    /// name has a registry host.
    pub fn image(&self, name: &str) -> String {
        if self.image_registry.is_empty() || app::domain::release::names::names_registry(name) {
            name.to_string()
        } else {
            format!("{}/{name}", self.image_registry.trim_end_matches('/'))
        }
    }
}

/// Optional kinds the cluster serves, found by discovery.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// CloudNativePG's `postgresql.cnpg.io/v1` `Cluster` is served.
    pub cnpg: bool,
    /// The HorizontalPodAutoscaler API version served (`autoscaling/v2` or
    /// `autoscaling/v2beta2`), if any with metric targets.
    pub hpa: Option<String>,
    /// cert-manager's `cert-manager.io/v1` `Certificate` is served: the
    /// tenant's certificate is rendered (labelled, so it is watched) rather
    /// than left to an Ingress annotation.
    pub cert_manager: bool,
    /// The API version serving CronJobs (`batch/v1` from Kubernetes 1.21,
    /// `batch/v1beta1` before), if any.
    pub cronjob: Option<String>,
    /// The Gateway API version serving HTTPRoute
    /// (`gateway.networking.k8s.io/v1`, or `v1beta1` on older
    /// installations), if any.
    pub httproute: Option<String>,
    /// Envoy Gateway's policies (`gateway.envoyproxy.io/v1alpha1`
    /// `BackendTrafficPolicy`) are served.
    pub envoy_policy: bool,
}
