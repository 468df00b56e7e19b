//! Alerts, silences, rule overrides and notification channels, with the
//! role check for each: anyone signed in reads; operators acknowledge,
//! resolve and silence; admins change rules and channels.

use app::domain::alerts::{
    catalogue, effective, effective_expression, info, validate_override, RuleOverride,
};
use app::dto::{
    AlertDto, AlertQuery, CurrentStaff, Page, Role, RuleDto, RuleId, RuleOverrideForm, SilenceDto,
    SilenceForm,
};
use app::error::{AppError, FieldErrors};

use super::{require, ConsoleService, R};
use app::api::alerts::Alerts;

/// Longest note or reason kept.
const MAX_NOTE: usize = 500;

fn note(text: &str) -> Option<String> {
    let t: String = text.trim().chars().take(MAX_NOTE).collect();
    (!t.is_empty()).then_some(t)
}

/// "template" or "tenant" and the id, as a form names the rules' owner.
fn scope(scope: &str, id: &str) -> R<(&'static str, String)> {
    let id = id.trim().to_string();
    if id.is_empty() || id.len() > 100 {
        return Err(AppError::invalid(
            "scope_id",
            "must name a template or tenant",
        ));
    }
    match scope {
        "template" => Ok(("template", id)),
        "tenant" => Ok(("tenant", id)),
        _ => Err(AppError::invalid("scope", "must be template or tenant")),
    }
}

#[async_trait::async_trait]
impl Alerts for ConsoleService {
    async fn list_alerts(&self, who: &CurrentStaff, q: AlertQuery) -> R<Page<AlertDto>> {
        require(who, Role::Viewer, "see alerts")?;
        Ok(self.store.list_alerts(&q).await?)
    }

    async fn get_alert(&self, who: &CurrentStaff, id: i64) -> R<AlertDto> {
        require(who, Role::Viewer, "see alerts")?;
        Ok(self.store.get_alert(id).await?)
    }

    async fn ack_alert(&self, who: &CurrentStaff, id: i64, text: String) -> R<AlertDto> {
        require(who, Role::Operator, "acknowledge alerts")?;
        Ok(self
            .store
            .ack_alert(id, &who.username, note(&text).as_deref())
            .await?)
    }

    async fn resolve_alert(&self, who: &CurrentStaff, id: i64, text: String) -> R<AlertDto> {
        require(who, Role::Operator, "resolve alerts")?;
        let done = self
            .store
            .resolve_alert(id, Some(&who.username), note(&text).as_deref())
            .await?;
        if !done {
            return Err(AppError::Conflict(format!(
                "Alert {id} is resolved already."
            )));
        }
        Ok(self.store.get_alert(id).await?)
    }

    async fn silence_alerts(&self, who: &CurrentStaff, form: SilenceForm) -> R<SilenceDto> {
        require(who, Role::Operator, "silence alerts")?;
        let mut errors = FieldErrors::default();
        let tenant = note(&form.tenant_id);
        if let Some(t) = &tenant {
            if !self.store.tenant_exists(t).await? {
                errors.push("tenant_id", format!("\"{t}\" names no tenant"));
            }
        }
        let rule = match form.rule.trim() {
            "" => None,
            r => errors.check(
                "rule",
                RuleId::parse(r).ok_or_else(|| "must be one of the built-in rules".to_string()),
            ),
        };
        if tenant.is_none() && rule.is_none() {
            errors.push(
                "tenant_id",
                "name a tenant, a rule, or both: a silence of everything is not allowed",
            );
        }
        let minutes = errors.check(
            "minutes",
            form.minutes
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|m| (1..=30 * 24 * 60).contains(m))
                .ok_or_else(|| "must be a number of minutes from 1 to 43200 (30 days)".to_string()),
        );
        let reason = note(&form.reason);
        if reason.is_none() {
            errors.push("reason", "say why, for whoever reads the alert later");
        }
        errors.into_result()?;
        let ends_at = crate::store::now_ms() + minutes.unwrap_or(60) * 60_000;
        Ok(self
            .store
            .create_silence(
                (tenant.as_deref(), rule),
                ends_at,
                reason.as_deref().unwrap_or(""),
                &who.username,
            )
            .await?)
    }

    async fn end_silence(&self, who: &CurrentStaff, id: i64) -> R<()> {
        require(who, Role::Operator, "end silences")?;
        Ok(self.store.end_silence(id, &who.username).await?)
    }

    async fn list_silences(&self, who: &CurrentStaff) -> R<Vec<SilenceDto>> {
        require(who, Role::Viewer, "see silences")?;
        Ok(self.store.active_silences().await?)
    }

    /// The rules as they apply to a template or tenant.
    async fn alert_rules(
        &self,
        who: &CurrentStaff,
        scope_kind: String,
        id: String,
    ) -> R<Vec<RuleDto>> {
        require(who, Role::Viewer, "see alert rules")?;
        let (kind, id) = scope(&scope_kind, &id)?;
        let overrides = self.store.rule_overrides().await?;
        let find = |s: &str, i: &str, r: RuleId| {
            overrides
                .iter()
                .find(|(os, oi, or, _)| os == s && oi == i && *or == r)
                .map(|o| o.3.clone())
        };
        let template = match kind {
            "template" => Some(id.clone()),
            _ => Some(self.store.get_tenant(&id).await?.template_id.to_string()),
        };
        Ok(catalogue()
            .into_iter()
            .filter(|r| r.per_tenant)
            .map(|r| {
                let t = template.as_deref().and_then(|t| find("template", t, r.id));
                let own = find(kind, &id, r.id);
                let n = if kind == "tenant" { own.clone() } else { None };
                RuleDto {
                    id: r.id,
                    title: r.title.into(),
                    description: r.description.into(),
                    threshold_label: r.threshold_label.map(String::from),
                    effective: effective(r.id, t.as_ref(), n.as_ref()),
                    overridden: own.is_some(),
                    unavailable: r
                        .needs_prometheus
                        .then(|| self.prometheus_trouble())
                        .flatten(),
                    expression: effective_expression(r.id, t.as_ref(), n.as_ref()),
                }
            })
            .collect())
    }

    async fn set_alert_rule(
        &self,
        who: &CurrentStaff,
        scope_kind: String,
        id: String,
        form: RuleOverrideForm,
    ) -> R<Vec<RuleDto>> {
        require(who, Role::Admin, "change alert rules")?;
        let (kind, sid) = scope(&scope_kind, &id)?;
        match kind {
            "template" => {
                let tid = sid
                    .parse::<i64>()
                    .map_err(|_| AppError::invalid("scope_id", "must be a template id"))?;
                self.store.get_template(tid).await?;
            }
            _ => {
                self.store.get_tenant(&sid).await?;
            }
        }
        let (rule, o): (RuleId, RuleOverride) = validate_override(&form)?;
        if !info(rule).per_tenant {
            return Err(AppError::invalid(
                "rule",
                "applies to the console as a whole, not per template or tenant",
            ));
        }
        self.store
            .set_rule_override((kind, &sid), rule, &o, &who.username)
            .await?;
        self.alert_rules(who, scope_kind, id).await
    }
}

impl ConsoleService {
    /// Why the rules read from Prometheus cannot run now, if they cannot.
    fn prometheus_trouble(&self) -> Option<String> {
        match &self.prometheus {
            None => Some(
                "needs the tenant's own metrics: no Prometheus query source is configured (--prometheus-url)"
                    .into(),
            ),
            Some(p) => match p.status.last() {
                Some(Err(why)) => Some(format!("the last reading from Prometheus failed: {why}")),
                _ => None,
            },
        }
    }
}
