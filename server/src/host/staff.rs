//! `tenantry staff …`: add, list, disable, enable, reset a password, set a role.

use app::domain::validate::validate_username;
use app::dto::Role;
use clap::Subcommand;

use crate::auth::{generate_password, hash_password};
use crate::error::{Result, ServerError};
use crate::store::{AuditEntry, PasswordKind, Store};

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a staff account; its one-time password is printed once.
    Add {
        username: String,
        #[arg(long, default_value = "viewer")]
        role: String,
    },
    /// List staff accounts.
    List,
    /// Disable an account and end its sessions.
    Disable { username: String },
    /// Enable a disabled account.
    Enable { username: String },
    /// Set a new random password (printed once) and end the account's sessions.
    ResetPassword { username: String },
    /// Change an account's role.
    SetRole { username: String, role: String },
}

const ACTOR: &str = "cli";

async fn find(store: &Store, username: &str) -> Result<crate::store::StaffRow> {
    store
        .staff_by_username(username)
        .await?
        .ok_or_else(|| ServerError::NotFound(format!("Staff account \"{username}\"")))
}

fn field(field: &str, rule: String) -> ServerError {
    ServerError::App(app::error::AppError::invalid(field, rule))
}

/// Runs one staff command, writing its answer to `out`.
pub async fn run_staff(
    store: &Store,
    cmd: StaffCommand,
    out: &mut impl std::io::Write,
) -> Result<()> {
    match cmd {
        StaffCommand::Add { username, role } => {
            let username = validate_username(&username).map_err(|r| field("username", r))?;
            let role = Role::parse(&role).map_err(|r| field("role", r))?;
            let password = generate_password();
            let hash = hash_password(password.clone()).await?;
            let audit = AuditEntry::new(ACTOR, "staff.create", "staff", username.clone())
                .detail(format!("role {role}"));
            store
                .insert_staff(&username, (&hash, PasswordKind::Generated), role, audit)
                .await?;
            writeln!(
                out,
                "Added {username} ({role}). One-time password: {password}"
            )?;
        }
        StaffCommand::List => {
            writeln!(out, "{:<32} {:<9} {:<8}", "USERNAME", "ROLE", "STATUS")?;
            for r in store.list_staff().await? {
                writeln!(
                    out,
                    "{:<32} {:<9} {:<8}",
                    r.username,
                    r.role(),
                    if r.is_active() { "active" } else { "disabled" }
                )?;
            }
        }
        StaffCommand::Disable { username } => {
            let row = find(store, &username).await?;
            store
                .set_staff_active(
                    row.id,
                    false,
                    AuditEntry::new(ACTOR, "staff.disable", "staff", username.clone()),
                )
                .await?;
            writeln!(out, "Disabled {username}; its sessions have ended.")?;
        }
        StaffCommand::Enable { username } => {
            let row = find(store, &username).await?;
            store
                .set_staff_active(
                    row.id,
                    true,
                    AuditEntry::new(ACTOR, "staff.enable", "staff", username.clone()),
                )
                .await?;
            writeln!(out, "Enabled {username}.")?;
        }
        StaffCommand::ResetPassword { username } => {
            let row = find(store, &username).await?;
            let password = generate_password();
            let hash = hash_password(password.clone()).await?;
            store
                .set_staff_password(
                    row.id,
                    (&hash, PasswordKind::Generated),
                    true,
                    AuditEntry::new(ACTOR, "staff.reset_password", "staff", username.clone()),
                )
                .await?;
            writeln!(out, "New one-time password for {username}: {password}")?;
        }
        StaffCommand::SetRole { username, role } => {
            let role = Role::parse(&role).map_err(|r| field("role", r))?;
            let row = find(store, &username).await?;
            let audit = AuditEntry::new(ACTOR, "staff.set_role", "staff", username.clone())
                .detail(format!("role {role}"));
            store.set_staff_role(row.id, role, audit).await?;
            writeln!(out, "{username} is now {role}.")?;
        }
    }
    Ok(())
}
