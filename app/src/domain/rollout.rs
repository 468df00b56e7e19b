//! Rollouts: a set of tenants moved to a release (or a plan) in waves — a
//! canary first, then counts or shares of the fleet — each wave's tenants
//! updated a few at a time, then watched for a soak time before the next
//! wave starts. Pure: how the waves are cut, how a form is checked, where
//! a rollout and each of its tenants may go next. The leader drives them
//! (`server/src/rollouts`).

use crate::dto::{RolloutForm, RolloutState, RolloutTenantState};
use crate::error::{AppError, FieldErrors};

/// The most tenants one rollout moves.
pub const MAX_ROLLOUT_TENANTS: usize = 10_000;
/// The most waves after the canary.
pub const MAX_WAVES: usize = 20;
/// The longest soak (a day).
pub const MAX_SOAK_SECS: u32 = 86_400;

/// One wave's size: a count of tenants, or a share of the whole set
/// (rounded up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaveSize {
    Count(usize),
    Percent(u8),
}

/// Reads "1, 3, 25%, 100%": each a count (≥ 1) or a share (1–100 %).
pub fn parse_waves(text: &str) -> Result<Vec<WaveSize>, String> {
    let mut out = vec![];
    for part in text
        .split([',', '/', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let size = match part.strip_suffix('%') {
            Some(p) => match p.trim().parse::<u8>() {
                Ok(n) if (1..=100).contains(&n) => WaveSize::Percent(n),
                _ => return Err(format!("\"{part}\" is no share: write 1% to 100%")),
            },
            None => match part.parse::<usize>() {
                Ok(n) if n >= 1 => WaveSize::Count(n),
                _ => return Err(format!("\"{part}\" is no count of tenants (1 or more)")),
            },
        };
        out.push(size);
    }
    if out.is_empty() {
        return Err("name the waves, e.g. \"1, 3, 100%\" (a canary, three, then the rest)".into());
    }
    if out.len() > MAX_WAVES {
        return Err(format!("at most {MAX_WAVES} waves"));
    }
    Ok(out)
}

/// The tenants `ids` cut into waves of `sizes`: the canary (when named
/// and among them) leads the first wave; every wave takes at least one
/// tenant; the last wave takes every tenant left. No wave is empty.
pub fn cut_waves(ids: &[String], canary: Option<&str>, sizes: &[WaveSize]) -> Vec<Vec<String>> {
    let mut order: Vec<String> = Vec::with_capacity(ids.len());
    if let Some(c) = canary.filter(|c| ids.iter().any(|i| i == c)) {
        order.push(c.to_string());
    }
    order.extend(ids.iter().filter(|i| Some(i.as_str()) != canary).cloned());
    let total = order.len();
    let mut waves = vec![];
    let mut rest = order.into_iter();
    let mut left = total;
    for (n, size) in sizes.iter().enumerate() {
        if left == 0 {
            break;
        }
        let wanted = match size {
            WaveSize::Count(c) => *c,
            WaveSize::Percent(p) => (total * usize::from(*p)).div_ceil(100),
        };
        let take = if n + 1 == sizes.len() {
            left
        } else {
            wanted.clamp(1, left)
        };
        waves.push(rest.by_ref().take(take).collect::<Vec<_>>());
        left -= take;
    }
    waves
}

/// A rollout's form checked: what the tenants move to, which tenants,
/// its waves, parallelism and soak (field errors naming each rule, all at
/// once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidRollout {
    pub application: String,
    /// The release the tenants move to (`None`: each keeps its own).
    pub release: Option<i64>,
    /// The plan the tenants move to (`None`: each keeps its own).
    pub template_id: Option<i64>,
    /// Only the tenants on this plan (with no list of tenants).
    pub only_plan: Option<i64>,
    /// The tenants named (empty: every live tenant of the application).
    pub tenants: Vec<String>,
    pub canary: Option<String>,
    pub waves: Vec<WaveSize>,
    pub parallelism: u32,
    pub soak_secs: u32,
    /// Compare each tenant's move with the cluster (see `DRY_RUN_MAX`).
    pub dry_run: bool,
}

/// A dry-run's answer for one tenant, in words: the objects the move would
/// create, change (with the paths of their fields) or remove.
pub fn dry_run_summary(objects: &[crate::dto::ObjectChange]) -> String {
    use crate::dto::ChangeAction;
    let named = |o: &crate::dto::ObjectChange| format!("{} {}", o.kind, o.name);
    let mut parts = vec![];
    let changed: Vec<String> = objects
        .iter()
        .filter(|o| o.action == ChangeAction::Update)
        .map(|o| {
            let fields: Vec<&str> = o.fields.iter().map(|f| f.path.as_str()).collect();
            format!("{} ({})", named(o), fields.join(", "))
        })
        .collect();
    for (action, verb) in [
        (ChangeAction::Create, "creates"),
        (ChangeAction::Delete, "removes"),
    ] {
        let these: Vec<String> = objects
            .iter()
            .filter(|o| o.action == action)
            .map(named)
            .collect();
        if !these.is_empty() {
            parts.push(format!("{verb} {}", these.join(", ")));
        }
    }
    if !changed.is_empty() {
        parts.insert(0, format!("changes {}", changed.join("; ")));
    }
    if parts.is_empty() {
        "nothing changes on the cluster".into()
    } else {
        parts.join("; ")
    }
}

/// A whole number typed in a form: `None` when empty.
fn number<T: std::str::FromStr>(text: &str, rule: &str) -> Result<Option<T>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse().map(Some).map_err(|_| rule.to_string())
}

impl RolloutForm {
    /// `max_parallel`: the most runs one rollout may have at once (the
    /// console keeps the rest of its concurrency for everything else).
    pub fn validate(&self, max_parallel: u32) -> Result<ValidRollout, AppError> {
        let mut e = FieldErrors::default();
        let application = self.application.trim().to_string();
        if application.is_empty() {
            e.push("application", "name the application whose tenants move");
        }
        let release = e.check(
            "release",
            number::<i64>(&self.release, "must be a release number"),
        );
        let template_id = e.check(
            "template_id",
            number::<i64>(&self.template_id, "must be a plan's id"),
        );
        if matches!((release, template_id), (Some(None), Some(None))) {
            e.push(
                "release",
                "name the release (or the plan) the tenants move to",
            );
        }
        let only_plan = e.check("plan", number::<i64>(&self.plan, "must be a plan's id"));
        let waves = e.check("waves", parse_waves(&self.waves));
        let parallelism = match number::<u32>(&self.parallelism, "") {
            Ok(None) => Some(1),
            Ok(Some(n)) if (1..=max_parallel).contains(&n) => Some(n),
            _ => {
                e.push(
                    "parallelism",
                    format!(
                        "must be 1 to {max_parallel}: the console keeps the rest of its \
                         concurrency for other operations"
                    ),
                );
                None
            }
        };
        let soak_secs = match number::<u32>(&self.soak_secs, "") {
            Ok(None) => Some(0),
            Ok(Some(s)) if s <= MAX_SOAK_SECS => Some(s),
            _ => {
                e.push("soak_secs", format!("must be 0 to {MAX_SOAK_SECS} seconds"));
                None
            }
        };
        let tenants: Vec<String> = self
            .tenants
            .iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        if tenants.len() > MAX_ROLLOUT_TENANTS {
            e.push(
                "tenants",
                format!("at most {MAX_ROLLOUT_TENANTS} tenants in one rollout"),
            );
        }
        let canary = Some(self.canary.trim().to_string()).filter(|c| !c.is_empty());
        if let Some(c) = &canary {
            if !tenants.is_empty() && !tenants.contains(c) {
                e.push("canary", format!("\"{c}\" is not among the tenants named"));
            }
        }
        e.into_result()?;
        let missing = || AppError::invalid("form", "incomplete");
        Ok(ValidRollout {
            application,
            release: release.ok_or_else(missing)?,
            template_id: template_id.ok_or_else(missing)?,
            only_plan: only_plan.ok_or_else(missing)?,
            tenants,
            canary,
            waves: waves.ok_or_else(missing)?,
            parallelism: parallelism.ok_or_else(missing)?,
            soak_secs: soak_secs.ok_or_else(missing)?,
            dry_run: self
                .dry_run
                .as_deref()
                .is_some_and(|v| !matches!(v.trim(), "" | "false" | "off")),
        })
    }
}

/// Where a rollout may go from `from` by staff's word (the driver moves
/// running ones to paused or completed itself).
pub fn may_move(from: RolloutState, to: RolloutState) -> bool {
    use RolloutState::*;
    matches!(
        (from, to),
        (Running, Paused) | (Paused, Running) | (Running | Paused, Aborted)
    )
}

/// Whether a tenant of a rollout has left the rollout's hands: moved (its
/// run completed), skipped, or rolled back.
pub fn settled(s: RolloutTenantState) -> bool {
    matches!(
        s,
        RolloutTenantState::Done | RolloutTenantState::Skipped | RolloutTenantState::RolledBack
    )
}

#[cfg(test)]
mod tests;
