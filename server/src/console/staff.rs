//! Staff administration (admins only). The last active admin can neither be
//! demoted nor disabled, so the console can never lock everyone out.

use app::domain::validate::validate_username;
use app::dto::{CurrentStaff, NewStaffResult, Role, StaffDto};
use app::error::AppError;

use super::{require, ConsoleService, R};
use crate::auth::{generate_password, hash_password};
use crate::store::{AuditEntry, PasswordKind};
use app::api::staff::Staff;

#[async_trait::async_trait]
impl Staff for ConsoleService {
    async fn list_staff(&self, who: &CurrentStaff) -> R<Vec<StaffDto>> {
        require(who, Role::Admin, "manage staff")?;
        Ok(self
            .store
            .list_staff()
            .await?
            .iter()
            .map(|r| r.to_dto())
            .collect())
    }

    async fn create_staff(
        &self,
        who: &CurrentStaff,
        username: String,
        role: String,
    ) -> R<NewStaffResult> {
        require(who, Role::Admin, "manage staff")?;
        let mut errors = app::error::FieldErrors::default();
        let username = errors.check("username", validate_username(&username));
        let role = errors.check("role", Role::parse(&role));
        errors.into_result()?;
        let (Some(username), Some(role)) = (username, role) else {
            return Err(AppError::invalid("form", "incomplete"));
        };
        let password = generate_password();
        let hash = hash_password(password.clone()).await?;
        let audit = AuditEntry::new(&who.username, "staff.create", "staff", username.clone())
            .detail(format!("role {role}"));
        let row = self
            .store
            .insert_staff(&username, (&hash, PasswordKind::Generated), role, audit)
            .await?;
        Ok(NewStaffResult {
            staff: row.to_dto(),
            one_time_password: password,
        })
    }

    async fn set_staff_role(&self, who: &CurrentStaff, id: i64, role: String) -> R<StaffDto> {
        require(who, Role::Admin, "manage staff")?;
        let role = Role::parse(&role).map_err(|m| AppError::invalid("role", m))?;
        // The store refuses to leave no active admin, in the same write.
        let audit = AuditEntry::new(&who.username, "staff.set_role", "staff", id.to_string())
            .detail(format!("role {role}"));
        Ok(self.store.set_staff_role(id, role, audit).await?.to_dto())
    }

    async fn set_staff_active(&self, who: &CurrentStaff, id: i64, active: bool) -> R<StaffDto> {
        require(who, Role::Admin, "manage staff")?;
        let action = if active {
            "staff.enable"
        } else {
            "staff.disable"
        };
        let audit = AuditEntry::new(&who.username, action, "staff", id.to_string());
        Ok(self
            .store
            .set_staff_active(id, active, audit)
            .await?
            .to_dto())
    }

    async fn reset_staff_password(&self, who: &CurrentStaff, id: i64) -> R<NewStaffResult> {
        require(who, Role::Admin, "manage staff")?;
        // A token resetting its own owner's password would get a password
        // (and so new tokens) out of a token.
        if who.id == id {
            super::tokens::by_person(who, "reset your own password")?;
        }
        let password = generate_password();
        let hash = hash_password(password.clone()).await?;
        let audit = AuditEntry::new(
            &who.username,
            "staff.reset_password",
            "staff",
            id.to_string(),
        );
        let row = self
            .store
            .set_staff_password(id, (&hash, PasswordKind::Generated), true, audit)
            .await?;
        Ok(NewStaffResult {
            staff: row.to_dto(),
            one_time_password: password,
        })
    }
}
