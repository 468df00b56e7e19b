//! Tenant records, tenant-ID help, and what the cluster shows of a tenant
//! (its health in lists, its pods, workloads and events).

use app::domain::tenant_id::{tenant_id_from, validate_tenant_id, SUFFIX_ALPHABET, SUFFIX_LEN};
use app::domain::tenant_rules::custom_domain_allowed;
use app::domain::validate::{validate_display_name, MAX_COMPANY_NAME};
use app::dto::{
    CurrentStaff, IdCheck, NewTenantForm, Operation, OwnerMessageDto, OwnerMessagesDto, Page, Role,
    TenantDto, TenantForm, TenantLiveDto, TenantQuery, TenantState,
};
use app::error::AppError;

use app::api::tenants::Tenants;

use super::{require, ConsoleService, R};
use crate::cluster::ownership::existing_namespace;

/// Random suffixes tried before giving up on a generated ID (each collides
/// with probability n/32^6, so more than one try is already rare).
pub(super) const ID_ATTEMPTS: usize = 8;

pub fn random_suffix() -> String {
    crate::auth::random_chars(SUFFIX_ALPHABET, SUFFIX_LEN)
}

#[async_trait::async_trait]
impl Tenants for ConsoleService {
    /// A page of tenants with their live health. A health filter reads
    /// the health the leader last recorded from the cluster index (indexed
    /// in the database), so the page costs the same at any fleet size.
    async fn list_tenants(&self, who: &CurrentStaff, query: TenantQuery) -> R<Page<TenantDto>> {
        require(who, Role::Viewer, "list tenants")?;
        let mut page = self.store.list_tenants(&query).await?;
        for t in &mut page.items {
            self.decorate(t);
        }
        Ok(page)
    }

    async fn get_tenant(&self, who: &CurrentStaff, id: String) -> R<TenantDto> {
        require(who, Role::Viewer, "view tenants")?;
        let mut t = self.store.get_tenant(&id).await?;
        self.decorate(&mut t);
        Ok(t)
    }

    async fn create_tenant(&self, who: &CurrentStaff, form: NewTenantForm) -> R<TenantDto> {
        if !form.provision {
            return Ok(self.create_record(who, form).await?.0);
        }
        // Refused before anything is stored when it could not be provisioned.
        require(who, Role::Operator, "provision tenants")?;
        let engine = self.engine().await?;
        let (t, at) = self.create_record(who, form).await?;
        // Scheduled like a deprovisioning: the run waits until `at`, and
        // can be cancelled until it starts.
        self.start(
            &engine,
            who,
            &t.id,
            Operation::Provision,
            app::dto::RunOptions::default(),
            at,
        )
        .await?;
        Ok(self.store.get_tenant(&t.id).await?)
    }

    async fn update_tenant(
        &self,
        who: &CurrentStaff,
        id: String,
        form: TenantForm,
    ) -> R<TenantDto> {
        require(who, Role::Operator, "edit tenants")?;
        let valid = form.validate()?;
        self.check_custom_domain(valid.custom_domain.as_deref())?;
        let t = self.store.get_tenant(&id).await?;
        let plan = crate::provisioning::TenantPlan::of(&self.store, &t).await?;
        custom_domain_allowed(
            (&t.template_name, &plan.tier.features),
            t.custom_domain.as_deref(),
            valid.custom_domain.as_deref(),
        )
        .map_err(|m| AppError::invalid("custom_domain", m))?;
        let t = self
            .store
            .update_tenant(&id, &valid, form.based_on_updated_at, &who.username)
            .await?;
        self.check_domain(t).await
    }

    async fn owner_messages(&self, who: &CurrentStaff, id: String) -> R<OwnerMessagesDto> {
        require(who, Role::Viewer, "see what a tenant's owner is sent")?;
        let t = self.store.get_tenant(&id).await?;
        let plan = crate::provisioning::TenantPlan::of(&self.store, &t).await?;
        let admin = app::domain::release::contract::tenant_admin(&plan.release, &t.owner_email);
        let sent = self.store.owner_messages(&id).await?;
        let messages = crate::alerts::owner::previews(&t, admin, self.public_url.as_ref())
            .into_iter()
            .map(|(message, when, mail)| {
                let last = sent.iter().rev().find(|(m, _, _)| m == message);
                OwnerMessageDto {
                    message: message.into(),
                    when: when.into(),
                    state: last.map(|(_, s, _)| s.clone()),
                    sent_at: last.and_then(|(_, _, at)| *at),
                    subject: mail.subject,
                    text: mail.text,
                }
            })
            .collect();
        Ok(OwnerMessagesDto {
            channel: self
                .engine
                .get()
                .and_then(|e| e.runner.owner_channel())
                .map(String::from),
            messages,
        })
    }

    async fn override_domain_check(&self, who: &CurrentStaff, id: String) -> R<TenantDto> {
        require(
            who,
            Role::Admin,
            "serve a custom domain without its DNS check",
        )?;
        let t = self.store.get_tenant(&id).await?;
        let Some(domain) = t.held_domain() else {
            return Err(AppError::Conflict(format!(
                "Tenant \"{id}\" has no custom domain held back by DNS."
            )));
        };
        if !self
            .store
            .override_domain_check(&id, domain, &who.username)
            .await?
        {
            return Err(AppError::Conflict(format!(
                "The custom domain of \"{id}\" changed meanwhile; look again."
            )));
        }
        let mut t = self.store.get_tenant(&id).await?;
        self.decorate(&mut t);
        Ok(t)
    }

    async fn delete_tenant(&self, who: &CurrentStaff, id: String) -> R<()> {
        require(who, Role::Operator, "delete tenants")?;
        Ok(self.store.delete_tenant(&id, &who.username).await?)
    }

    async fn suggest_tenant_id(&self, who: &CurrentStaff, company_name: String) -> R<String> {
        require(who, Role::Viewer, "suggest tenant IDs")?;
        let name = validate_display_name(&company_name, MAX_COMPANY_NAME)
            .map_err(|m| AppError::invalid("company_name", m))?;
        for _ in 0..ID_ATTEMPTS {
            let id = tenant_id_from(&name, &random_suffix());
            if !self.store.tenant_exists(&id).await? {
                return Ok(id);
            }
        }
        Err(AppError::Conflict(
            "No free tenant ID could be generated; type one instead.".into(),
        ))
    }

    async fn check_tenant_id(&self, who: &CurrentStaff, id: String) -> R<IdCheck> {
        require(who, Role::Viewer, "check tenant IDs")?;
        let id: String = id.trim().chars().take(200).collect();
        if let Err(rule) = validate_tenant_id(&id) {
            return Ok(IdCheck {
                id,
                ok: false,
                message: format!("Tenant ID {rule}."),
            });
        }
        if self.store.tenant_exists(&id).await? {
            return Ok(IdCheck {
                message: format!("\"{id}\" is already taken."),
                id,
                ok: false,
            });
        }
        match self.namespace_for(&id).await {
            Ok(_) => {}
            Err(e) => {
                return Ok(IdCheck {
                    message: e
                        .field_message("tenant_id")
                        .map(|m| format!("{m}."))
                        .unwrap_or_else(|| e.to_string()),
                    id,
                    ok: false,
                })
            }
        }
        Ok(IdCheck {
            message: format!("\"{id}\" is available."),
            id,
            ok: true,
        })
    }

    async fn tenant_live(&self, who: &CurrentStaff, id: String) -> R<TenantLiveDto> {
        require(who, Role::Viewer, "watch tenants")?;
        let t = self.store.get_tenant(&id).await?;
        let view = self.live.view();
        let objects = view.objects(&t.id);
        let note = (!view.watch_status().started).then(|| "no cluster connected".to_string());
        Ok(TenantLiveDto {
            health: Some(view.health(&t.id)),
            pods: objects.pods,
            workloads: objects.workloads,
            quota: objects.quota,
            certificates: objects.certificates,
            history: self.store.health_history(&t.id).await?,
            alerts: self.store.alerts_for_tenant(&t.id, 20).await?,
            events: objects.events,
            note,
        })
    }
}

impl ConsoleService {
    /// The namespace a new tenant `id` gets: refused (on `tenant_id`) when it
    /// is one of the cluster's own or the console's, or when the cluster
    /// (once connected) already has a namespace of that name, whoever made it.
    pub(super) async fn namespace_for(&self, id: &str) -> R<String> {
        let ns = self
            .render_settings
            .tenant_namespace(id)
            .map_err(|rule| AppError::invalid("tenant_id", format!("\"{id}\" {rule}")))?;
        if self.store.namespace_taken(&ns).await? {
            return Err(AppError::invalid(
                "tenant_id",
                format!("\"{id}\" cannot be used: the namespace \"{ns}\" is another tenant's"),
            ));
        }
        if let Some(engine) = self.engine.get() {
            match existing_namespace(&engine.cluster.client, &ns).await {
                Ok(None) => {}
                Ok(Some(why)) => {
                    return Err(AppError::invalid(
                        "tenant_id",
                        format!("\"{id}\" cannot be used: {why}"),
                    ))
                }
                Err(e) => {
                    return Err(AppError::Unavailable(format!(
                        "The cluster could not be asked whether the namespace \"{ns}\" exists: {e}."
                    )))
                }
            }
        }
        Ok(ns)
    }

    /// Checks the tenant's custom domain in DNS now, when it is held, and
    /// records what was found (a domain that points at the ingress is
    /// served from the next run on). Without a configured check, a domain
    /// is served unchecked, as it always was.
    pub(super) async fn check_domain(&self, t: TenantDto) -> R<TenantDto> {
        let Some(domain) = t.held_domain() else {
            return Ok(t);
        };
        let verdict = match &self.dns {
            Some(dns) => dns.check(domain).await,
            None => crate::domains::Verdict {
                ok: true,
                detail: "served unchecked: no domain target is configured".into(),
            },
        };
        self.store
            .record_domain_check(&t.id, domain, (verdict.ok, &verdict.detail))
            .await?;
        Ok(self.store.get_tenant(&t.id).await?)
    }

    /// A custom domain may be neither under the base domain (tenant hosts
    /// `<id>.<base>` live there) nor the console's own host.
    pub(super) fn check_custom_domain(&self, domain: Option<&str>) -> R<()> {
        let Some(domain) = domain else {
            return Ok(());
        };
        let base = &self.render_settings.base_domain;
        if domain == base || domain.ends_with(&format!(".{base}")) {
            return Err(AppError::invalid(
                "custom_domain",
                format!("must not be under the base domain \"{base}\", where tenant hosts <id>.{base} live"),
            ));
        }
        if self.public_host.as_deref() == Some(domain) {
            return Err(AppError::invalid(
                "custom_domain",
                format!("\"{domain}\" is the console's own host"),
            ));
        }
        Ok(())
    }

    /// What the console adds to a stored tenant: its live health and the
    /// URLs its routes serve now (none while they are not served: before
    /// its first rollout, suspended, being or deprovisioned).
    fn decorate(&self, t: &mut TenantDto) {
        t.health = Some(self.live.view().health(&t.id));
        let was_live = t.first_live_at.is_some();
        let served = match t.state {
            TenantState::Active | TenantState::Degraded => true,
            TenantState::Provisioning | TenantState::Failed => was_live,
            _ => false,
        };
        t.urls = if served {
            crate::manifests::tenant_hosts(&t.id, t.served_domain.as_deref(), &self.render_settings)
                .into_iter()
                .map(|h| format!("https://{h}"))
                .collect()
        } else {
            vec![]
        };
    }
}
