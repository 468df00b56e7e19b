//! The one statement that writes a tenant's lifecycle state, and the guard
//! that says when it may land: while a run this process holds works, as
//! the run ends (in its transaction), or as an observation of the tenant
//! (only from some states; only when it changes something). Every state
//! write in the store goes through [`write_state`], so no path can forget
//! its guard or the ETag bump.

use app::dto::TenantState;
use sqlx::Any;

use super::{now_ms, Change, Store};
use crate::error::Result;

/// Which tenant a state write is for, and what must hold for it to land.
pub(super) enum Guard<'a> {
    /// The tenant of `run`, while `owner` holds the run and it is running.
    HeldRun { run: i64, owner: &'a str },
    /// The tenant of `run` (which ends in the same transaction).
    EndingRun(i64),
    /// The tenant `id`, now in one of `from` (any state when empty); with
    /// `changed_only`, only when the state or its detail differs; with
    /// `version`, only while its record is still at that `updated_at` (what
    /// was observed was judged against that record, and a run or an edit
    /// since makes it stale).
    Observed {
        id: &'a str,
        from: &'a [TenantState],
        changed_only: bool,
        version: Option<i64>,
    },
}

/// What is written: the state, and its detail with the time it was seen
/// (`None`: both kept, as while a run works).
pub(super) struct NewState<'a> {
    pub state: TenantState,
    pub detail: Option<Option<&'a str>>,
}

enum Arg<'a> {
    Text(&'a str),
    Detail(Option<&'a str>),
    Int(i64),
}

/// Adds a parameter; its number (`$n`).
fn next<'a>(args: &mut Vec<Arg<'a>>, a: Arg<'a>) -> usize {
    args.push(a);
    args.len()
}

/// Writes the state; the tenant's ID when it landed. A write by a run also
/// moves the tenant's `updated_at` (its ETag); an observation does not.
pub(super) async fn write_state<'e, E>(
    exec: E,
    guard: Guard<'_>,
    new: NewState<'_>,
) -> Result<Option<String>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let now = now_ms();
    let by_run = !matches!(guard, Guard::Observed { .. });
    let mut args = vec![Arg::Text(new.state.as_str())];
    let mut set = vec!["state = $1".to_string()];
    if let Some(detail) = new.detail {
        let d = next(&mut args, Arg::Detail(detail));
        let t = next(&mut args, Arg::Int(now));
        set.push(format!("state_detail = ${d}, observed_at = ${t}"));
    }
    let target = match guard {
        Guard::HeldRun { run, owner } => {
            let r = next(&mut args, Arg::Int(run));
            let o = next(&mut args, Arg::Text(owner));
            format!(
                "id = (SELECT r.tenant_id FROM provisioning_runs r WHERE r.id = ${r} \
                 AND r.owner = ${o} AND r.state = 'running')"
            )
        }
        Guard::EndingRun(run) => {
            let r = next(&mut args, Arg::Int(run));
            format!("id = (SELECT tenant_id FROM provisioning_runs WHERE id = ${r})")
        }
        Guard::Observed {
            id,
            from,
            changed_only,
            version,
        } => {
            let i = next(&mut args, Arg::Text(id));
            let mut w = format!("id = ${i}");
            if let Some(v) = version {
                let v = next(&mut args, Arg::Int(v));
                w.push_str(&format!(" AND updated_at = ${v}"));
            }
            if !from.is_empty() {
                let states: Vec<String> =
                    from.iter().map(|s| format!("'{}'", s.as_str())).collect();
                w.push_str(&format!(" AND state IN ({})", states.join(", ")));
            }
            if changed_only {
                let d = match new.detail {
                    Some(_) => "$2",
                    None => "state_detail",
                };
                w.push_str(&format!(
                    " AND (state <> $1 OR COALESCE(state_detail, '') <> COALESCE({d}, ''))"
                ));
            }
            w
        }
    };
    if by_run {
        let t = next(&mut args, Arg::Int(now));
        set.push(super::bump_updated_at(u8::try_from(t).unwrap_or(u8::MAX)));
    }
    let sql = format!(
        "UPDATE tenants SET {} WHERE {target} RETURNING id",
        set.join(", ")
    );
    let mut q = sqlx::query_scalar::<_, String>(&sql);
    for a in args {
        q = match a {
            Arg::Text(s) => q.bind(s),
            Arg::Detail(d) => q.bind(d),
            Arg::Int(n) => q.bind(n),
        };
    }
    Ok(q.fetch_optional(exec).await?)
}

impl Store {
    /// Records what was seen on the cluster: the state, why, and when. With
    /// `only_from`, the state changes only from one of those states (so an
    /// observation never overwrites what a run just decided). Announced
    /// whether or not it landed.
    pub async fn observe_tenant(
        &self,
        id: &str,
        state: TenantState,
        detail: Option<&str>,
        only_from: &[TenantState],
    ) -> Result<bool> {
        let written = self
            .observe(id, (state, detail), (only_from, None), false)
            .await?;
        self.changed(Change::Tenant(id.to_string()));
        Ok(written)
    }

    /// Moves a live tenant (one of `only_from`) to `state` with `detail`,
    /// writing (and announcing) only when that changes something; with
    /// `version`, only while the tenant's record is still at that
    /// `updated_at` (the record the observation was judged against).
    pub async fn observe_tenant_if_changed(
        &self,
        id: &str,
        (state, detail): (TenantState, Option<&str>),
        only_from: &[TenantState],
        version: Option<i64>,
    ) -> Result<bool> {
        let changed = self
            .observe(id, (state, detail), (only_from, version), true)
            .await?;
        if changed {
            self.changed(Change::Tenant(id.to_string()));
        }
        Ok(changed)
    }

    async fn observe(
        &self,
        id: &str,
        (state, detail): (TenantState, Option<&str>),
        (from, version): (&[TenantState], Option<i64>),
        changed_only: bool,
    ) -> Result<bool> {
        let guard = Guard::Observed {
            id,
            from,
            changed_only,
            version,
        };
        let new = NewState {
            state,
            detail: Some(detail),
        };
        Ok(write_state(&self.pool, guard, new).await?.is_some())
    }
}
