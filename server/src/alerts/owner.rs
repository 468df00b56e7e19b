//! Messages to a tenant's owner (the outbox's `owner` kind): the welcome
//! mail when a tenant is first live, with its URLs, the tenant admin's
//! user name and a one-time link to the console's `/welcome/<token>`
//! page, which shows the temporary password once. No mail carries a
//! password.

use app::dto::{RunDto, TenantDto};

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

/// The notice to the owner that the tenant is being deprovisioned (when
/// and how, from its run), or (`gone`) that it has been.
pub fn deprovision_mail(t: &TenantDto, run: Option<&RunDto>, gone: bool, message_id: &str) -> Mail {
    let mut text = format!("Hello {},\n\n", t.owner_name);
    if gone {
        text.push_str(&format!(
            "{} (tenant {}) has been removed: its application and its data on the platform are gone.\n",
            t.company_name, t.id
        ));
        if run.is_some_and(|r| r.options.backup) {
            text.push_str(
                "A backup of its database was taken before; ask your provider if you need it.\n",
            );
        }
    } else {
        let start = run
            .and_then(|r| r.not_before)
            .map(|at| format!("at {} (UTC)", crate::store::format_ms(at)))
            .unwrap_or_else(|| "now".into());
        text.push_str(&format!(
            "{} (tenant {}) is being removed at your provider's request: access to it ends {start}.\n",
            t.company_name, t.id
        ));
        if let Some(h) = run.map(|r| r.options.grace_hours).filter(|h| *h > 0) {
            text.push_str(&format!(
                "Its data is kept for {h} hours after that, then removed.\n"
            ));
        }
        if run.is_some_and(|r| r.options.backup) {
            text.push_str("A backup of its database is taken first.\n");
        }
    }
    Mail {
        subject: if gone {
            format!("{} has been removed", t.company_name)
        } else {
            format!("{} is being removed", t.company_name)
        },
        text,
        message_id: message_id.to_string(),
        to: vec![t.owner_email.clone()],
    }
}

/// Every message the owner of `t` may get, as it reads now (`link`: the
/// console's address, where the welcome link's placeholder points), with
/// when it is sent.
pub fn previews(
    t: &TenantDto,
    admin: Option<String>,
    console: Option<&url::Url>,
) -> Vec<(&'static str, &'static str, Mail)> {
    let link = console.map(|u| {
        (
            format!("{u}welcome/<one-time token, made when it is sent>"),
            crate::store::now_ms() + crate::store::WELCOME_LINK_MS,
        )
    });
    let welcome = Welcome {
        tenant: t,
        admin,
        link,
    };
    vec![
        (
            crate::store::WELCOME,
            "when a provisioning first completes",
            welcome_mail(&welcome, "preview"),
        ),
        (
            crate::store::DEPROVISION_NOTICE,
            "when a deprovisioning that asks for it is started",
            deprovision_mail(t, None, false, "preview"),
        ),
        (
            crate::store::DEPROVISIONED,
            "once that deprovisioning removed the tenant",
            deprovision_mail(t, None, true, "preview"),
        ),
    ]
}
