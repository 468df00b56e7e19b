//! The deliverer, run by the leader alone: every notification that is due
//! goes out on its channel; a failure is tried again with a growing delay,
//! and given up (and kept in the log, with the error) after a while. Each
//! message carries the notification's idempotency key, so a crash between
//! sending and recording the send can only repeat a message, never lose one.

use std::time::Duration;

use app::domain::alerts::info;
use app::dto::RuleId;

use super::message::Message;
use super::seal::{Opened, Sealer};
use super::send::send;
use crate::store::{DueNotice, NoticeKind, Store};

/// How often the outbox is looked at.
const LOOK_EVERY: Duration = Duration::from_millis(500);
/// Attempts before a notification is given up.
pub const MAX_ATTEMPTS: i64 = 12;

/// Delay before attempt `n + 1`: 2 s doubling, at most 10 minutes.
pub fn retry_delay(attempts: i64) -> Duration {
    let n = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    Duration::from_secs(2u64.saturating_mul(1 << n)).min(Duration::from_secs(600))
}

pub struct Deliverer {
    pub store: Store,
    pub sealer: Sealer,
    pub console: Option<url::Url>,
    /// What channels may reach.
    pub outbound: super::Outbound,
}

impl Deliverer {
    /// Sends every due notification once; returns how many went out.
    pub async fn deliver_due(&self) -> crate::error::Result<usize> {
        let mut sent = 0;
        for n in self.store.due_notifications(50).await? {
            match self.deliver(&n).await {
                Ok(channel) => {
                    self.store.notice_sent(&n, &channel).await?;
                    crate::metrics::metrics().notification("delivered");
                    sent += 1;
                }
                Err(why) => {
                    let next = (n.attempts + 1 < MAX_ATTEMPTS).then(|| {
                        crate::store::now_ms()
                            + i64::try_from(retry_delay(n.attempts).as_millis()).unwrap_or(600_000)
                    });
                    tracing::warn!(notification = n.id, attempts = n.attempts + 1, error = %why, "a notification could not be delivered");
                    self.store.notice_failed(n.id, &why, next).await?;
                    let outcome = if next.is_some() { "retrying" } else { "failed" };
                    crate::metrics::metrics().notification(outcome);
                }
            }
        }
        Ok(sent)
    }

    /// Sends one notification; the channel's name when it went out.
    async fn deliver(&self, n: &DueNotice) -> Result<String, String> {
        let ch = self
            .store
            .channel(n.channel_id)
            .await
            .map_err(|e| e.to_string())?;
        let bound = super::seal::channel_binding(ch.id, &ch.kind, &ch.settings);
        let secret = match &ch.secret {
            Some(s) => Some(
                self.sealer
                    .open(s, &bound)
                    .map_err(|e| e.to_string())?
                    .plain(),
            ),
            None => None,
        };
        if NoticeKind::parse(&n.kind) == NoticeKind::Owner {
            self.to_owner(n, &ch, secret.as_deref()).await?;
            return Ok(ch.name);
        }
        let mut alerts = vec![];
        for id in n.alerts() {
            alerts.push(self.store.get_alert(id).await.map_err(|e| e.to_string())?);
        }
        let settings: serde_json::Value = serde_json::from_str(&ch.settings).unwrap_or_default();
        // Tenant owners get mail for the rules the channel names.
        let owner_rules: Vec<RuleId> = settings["owner_rules"]
            .as_str()
            .unwrap_or("")
            .split(',')
            .filter_map(|r| RuleId::parse(r.trim()))
            .collect();
        let mut owners = vec![];
        for a in alerts
            .iter()
            .filter(|a| owner_rules.contains(&a.rule) && info(a.rule).per_tenant)
        {
            if let Some(t) = &a.tenant_id {
                if let Ok(t) = self.store.get_tenant(t).await {
                    owners.push(t.owner_email);
                }
            }
        }
        let message = Message {
            kind: NoticeKind::parse(&n.kind),
            idempotency_key: n.idempotency_key.clone(),
            alerts,
            console: self.console.clone(),
        };
        send(&ch, secret.as_deref(), &message, (&owners, &self.outbound)).await?;
        Ok(ch.name)
    }
}

impl Deliverer {
    /// An owner message: the welcome mail (its one-time link made now: a
    /// retry makes a new one, and the link of a mail that may have gone
    /// out before stops working), or a deprovisioning notice.
    async fn to_owner(
        &self,
        n: &DueNotice,
        ch: &crate::store::ChannelRow,
        secret: Option<&str>,
    ) -> Result<(), String> {
        let tenant_id = n.tenant_id.as_deref().unwrap_or_default();
        let t = self
            .store
            .get_tenant(tenant_id)
            .await
            .map_err(|e| e.to_string())?;
        let message = n.message.as_deref().unwrap_or_default();
        if message != crate::store::WELCOME {
            let run = match n.group_key.parse::<i64>() {
                Ok(id) => Some(self.store.get_run(id).await.map_err(|e| e.to_string())?),
                Err(_) => None,
            };
            let mail = super::owner::deprovision_mail(
                &t,
                run.as_ref(),
                message == crate::store::DEPROVISIONED,
                &n.idempotency_key,
            );
            return super::send::send_mail(ch, secret, mail, &self.outbound).await;
        }
        let plan = crate::provisioning::TenantPlan::of(&self.store, &t)
            .await
            .map_err(|e| e.to_string())?;
        let admin = app::domain::release::contract::tenant_admin(&plan.release, &t.owner_email);
        let mut link = None;
        if let (Some(_), Some(base)) = (&admin, &self.console) {
            let token = crate::auth::random_chars(app::dto::Alphabet::Alphanumeric.chars(), 43);
            let until = crate::store::now_ms() + crate::store::WELCOME_LINK_MS;
            self.store
                .replace_welcome_link(&t.id, &crate::auth::hash_token(&token), until)
                .await
                .map_err(|e| e.to_string())?;
            let url = base
                .join(&format!("welcome/{token}"))
                .map_err(|e| format!("the console's address: {e}"))?;
            link = Some((url.to_string(), until));
        }
        let w = super::owner::Welcome {
            tenant: &t,
            admin,
            link,
        };
        let mail = super::owner::welcome_mail(&w, &n.idempotency_key);
        super::send::send_mail(ch, secret, mail, &self.outbound).await
    }
}

/// Seals again, with the current key and scheme, every channel secret a
/// previous key or the first scheme sealed; returns how many.
pub async fn reseal(store: &Store, sealer: &Sealer) -> crate::error::Result<usize> {
    if !sealer.configured() {
        return Ok(0);
    }
    let mut n = 0;
    for ch in store.channels().await? {
        let Some(old) = &ch.secret else { continue };
        let bound = super::seal::channel_binding(ch.id, &ch.kind, &ch.settings);
        match sealer.open(old, &bound) {
            Ok(Opened::Stale(plain)) => {
                let new = sealer.seal(&plain, &bound)?;
                if store.reseal_channel_secret(ch.id, old, &new).await? {
                    n += 1;
                }
            }
            Ok(Opened::Current(_)) => {}
            Err(e) => {
                tracing::warn!(channel = %ch.name, error = %e, "a channel secret cannot be opened");
            }
        }
    }
    Ok(n)
}

/// Delivers while this replica leads (re-sealing stale secrets first).
pub fn spawn_deliverer(d: Deliverer, leader: crate::replicas::Leadership) {
    let mut writes = d.store.changes();
    tokio::spawn(async move {
        let mut resealed = false;
        loop {
            if !resealed && leader.is_leader() {
                match reseal(&d.store, &d.sealer).await {
                    Ok(n) => {
                        resealed = true;
                        if n > 0 {
                            tracing::info!(
                                channels = n,
                                "channel secrets sealed again with the current key"
                            );
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "channel secrets could not be sealed again")
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(LOOK_EVERY) => {}
                got = writes.recv() => {
                    if matches!(got, Err(tokio::sync::broadcast::error::RecvError::Closed)) {
                        return;
                    }
                }
            }
            if !leader.is_leader() {
                continue;
            }
            if let Err(e) = d.deliver_due().await {
                tracing::warn!(error = %e, "the outbox could not be read");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_ten_minutes() {
        assert_eq!(retry_delay(0), Duration::from_secs(2));
        assert_eq!(retry_delay(3), Duration::from_secs(16));
        assert_eq!(retry_delay(20), Duration::from_secs(600));
    }
}
