//! A tenant's backups: when the last one was taken, "back up now", the
//! catalogue, and for admins a restore of any backup still in the store,
//! with the tenant ID typed again.

use leptos::prelude::*;

use super::actions::OpActions;
use crate::domain::lifecycle::allowed_operations;
use crate::dto::{BackupDto, Operation, Role, TenantDto};
use crate::error::AppError;
use crate::ui::components::{
    failure, format_age, format_time, ErrorPanel, Field, FieldError, FormError,
};

/// The browser's clock once the page runs there; `None` while rendered on
/// the server, so the first paint shows times, not ages that would differ.
fn browser_now() -> Option<i64> {
    #[cfg(feature = "hydrate")]
    {
        Some(web_sys::js_sys::Date::now() as i64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

fn size(bytes: i64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / f64::from(1 << 30)),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / f64::from(1 << 10)),
        b => format!("{b} B"),
    }
}

/// `list` is the catalogue as the page loaded it (with the tenant, so it
/// follows the same live updates).
#[component]
pub fn TenantBackups(
    t: TenantDto,
    role: Option<Role>,
    ops: OpActions,
    list: Result<Vec<BackupDto>, AppError>,
) -> impl IntoView {
    let operator = role.is_some_and(|r| r.allows(Role::Operator));
    let admin = role.is_some_and(|r| r.allows(Role::Admin));
    let allowed = allowed_operations(t.state, t.ever_live());
    let can_backup = operator && allowed.contains(&Operation::Backup);
    let can_restore = admin && allowed.contains(&Operation::Restore);
    let now = RwSignal::new(None::<i64>);
    Effect::new(move |_| now.set(browser_now()));
    let last = t.last_backup_at;
    let id = t.id.clone();
    view! {
        <section class="panel" aria-labelledby="backups-h" data-testid="tenant-backups">
            <h2 id="backups-h">"Backups"</h2>
            <p data-testid="last-backup">
                {match last {
                    None => view! { "No backup yet." }.into_any(),
                    Some(at) => view! {
                        "Last backup "<time>{format_time(at)}</time>
                        {move || now.try_get().flatten().map(|n| format!(" ({} ago)", format_age(n, at)))}
                    }.into_any(),
                }}
            </p>
            {can_backup.then(|| view! {
                <ActionForm action=ops.backup attr:class="inline">
                    <input type="hidden" name="id" value=id.clone()/>
                    <button type="submit" class="button">"Back up now"</button>
                </ActionForm>
            })}
            {move || ops.backup.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorPanel err=e/> })}
            {match list {
                Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                Ok(rows) if rows.is_empty() => view! { <p class="muted">"The catalogue is empty."</p> }.into_any(),
                Ok(rows) => view! { <BackupTable rows can_restore ops/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn BackupTable(rows: Vec<BackupDto>, can_restore: bool, ops: OpActions) -> impl IntoView {
    view! {
        <table class="table" data-testid="backup-list">
            <thead><tr>
                <th scope="col">"Taken"</th><th scope="col">"How"</th><th scope="col">"Size"</th>
                <th scope="col">"SHA-256"</th><th scope="col">"Where"</th><th scope="col">""</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|b| {
                    let pruned = b.pruned_at.is_some();
                    view! {
                        <tr class:muted=pruned>
                            <td><time>{format_time(b.taken_at)}</time></td>
                            <td>{b.method.label()}{b.run_id.map(|r| view! { " " <a href=format!("/runs/{r}")>{format!("run {r}")}</a> })}</td>
                            <td>{size(b.size_bytes)}</td>
                            <td class="mono" title=b.sha256.clone()>{b.sha256.chars().take(12).collect::<String>()}"…"</td>
                            <td class="mono">{b.location.clone()}</td>
                            <td>{if pruned {
                                view! { <span class="muted">"pruned"</span> }.into_any()
                            } else if can_restore {
                                view! { <Restore backup=b ops/> }.into_any()
                            } else {
                                ().into_any()
                            }}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Restoring replaces the tenant's data: the form asks for the ID again.
#[component]
fn Restore(backup: BackupDto, ops: OpActions) -> impl IntoView {
    let result = Signal::derive(move || ops.restore.value().get());
    let field = format!("restore-confirm-{}", backup.id);
    let skip = format!("restore-skip-{}", backup.id);
    view! {
        <details class="op danger-zone">
            <summary>"Restore…"</summary>
            <ActionForm action=ops.restore attr:class="form-grid">
                <input type="hidden" name="id" value=backup.tenant_id.clone()/>
                <input type="hidden" name="form[backup_id]" value=backup.id.to_string()/>
                <p>{format!("The current data is dumped first (kept in the catalogue as \"before a restore\"), then the application stops, the database is replaced by the dump of {}, migrations run, and the application starts again.", format_time(backup.taken_at))}</p>
                <Field field="confirm" label=format!("Type {} to confirm", backup.tenant_id) id=field.clone() error=failure(result)>
                    <input id=field name="form[confirm]" autocomplete="off" class="mono"/>
                    <FieldError result field="backup_id"/>
                </Field>
                <Field field="without_backup" label="Restore without dumping the current data first (type the ID again; recorded as a security event)" id=skip.clone() error=failure(result)>
                    <input id=skip name="form[without_backup]" autocomplete="off" class="mono" placeholder="leave empty to dump first"/>
                </Field>
                <div class="actions"><button type="submit" class="button danger">"Restore this backup"</button></div>
            </ActionForm>
            <FormError result/>
        </details>
    }
}
