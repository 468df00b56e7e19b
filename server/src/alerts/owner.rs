//! Messages to a tenant's owner (the outbox's `owner` kind): the welcome
//! mail when a tenant is first live, with its URLs, the tenant admin's
//! user name and a one-time link to the console's `/welcome/<token>`
//! page, which shows the temporary password once. No mail carries a
//! password.

use app::dto::TenantDto;

use super::send::Mail;

/// What the welcome mail says besides the tenant: the admin's user name
/// (when the release takes a tenant admin) and the one-time link with its
/// expiry (ms), when the console knows its public address.
pub struct Welcome<'a> {
    pub tenant: &'a TenantDto,
    pub admin: Option<String>,
    pub link: Option<(String, i64)>,
}

/// The welcome mail to the tenant's owner (`message_id` is the same on
/// every retry).
pub fn welcome_mail(w: &Welcome<'_>, message_id: &str) -> Mail {
    let t = w.tenant;
    let mut text = format!("Hello {},\n\n{} is ready.\n", t.owner_name, t.company_name);
    if !t.urls.is_empty() {
        text.push_str("\nIt is served at:\n");
        for u in &t.urls {
            text.push_str(&format!("  {u}\n"));
        }
    }
    if let Some(admin) = &w.admin {
        text.push_str(&format!("\nYour administrator account: {admin}\n"));
        match &w.link {
            Some((link, until)) => text.push_str(&format!(
                "Open this link to see its temporary password. It works once, until {} (UTC):\n  {link}\n",
                crate::store::format_ms(*until)
            )),
            None => text.push_str("Your provider will give you its temporary password.\n"),
        }
    }
    text.push_str(&format!("\nTenant ID: {}\n", t.id));
    Mail {
        subject: format!("Welcome: {} is ready", t.company_name),
        text,
        message_id: message_id.to_string(),
        to: vec![t.owner_email.clone()],
    }
}
