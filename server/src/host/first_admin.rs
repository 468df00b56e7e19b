//! The first `admin` account, made when no staff exists. Its password is
//! the operator's own (configured), or generated and handed over once: to
//! the terminal, or, in a cluster, to a Secret in the console's namespace
//! (a pod's log is read by many and kept long).

use app::dto::Role;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ObjectMeta, PostParams};

use crate::auth::{generate_password, hash_password};
use crate::error::{Result, ServerError};
use crate::store::{AuditEntry, PasswordKind, Store};

/// The key of the password in the Secret.
pub const PASSWORD_KEY: &str = "password";

/// Where a generated password goes.
pub enum FirstPassword {
    Terminal,
    Secret {
        client: kube::Client,
        namespace: String,
        name: String,
    },
}

/// Makes the `admin` account when no staff exists.
pub async fn ensure_first_admin(
    store: &Store,
    configured: Option<&str>,
    deliver: FirstPassword,
) -> Result<()> {
    if store.count_staff().await? > 0 {
        return Ok(());
    }
    let (password, kind) = match (configured, &deliver) {
        (Some(p), _) => {
            app::domain::validate::validate_password(p)
                .map_err(|rule| ServerError::Config(format!("TENANTRY_ADMIN_PASSWORD {rule}")))?;
            (p.to_string(), PasswordKind::Chosen)
        }
        (None, FirstPassword::Terminal) => (generate_password(), PasswordKind::Generated),
        (
            None,
            FirstPassword::Secret {
                client,
                namespace,
                name,
            },
        ) => (
            secret_once(client, namespace, name).await?,
            PasswordKind::Generated,
        ),
    };
    let hash = hash_password(password.clone()).await?;
    let made = store
        .insert_staff(
            "admin",
            (&hash, kind),
            Role::Admin,
            AuditEntry::new("system", "staff.create", "staff", "admin").detail("first start"),
        )
        .await;
    match made {
        Ok(_) => {}
        // Another replica made it first, with the same password.
        Err(_) if store.count_staff().await? > 0 => return Ok(()),
        Err(e) => return Err(e),
    }
    match (kind, deliver) {
        (PasswordKind::Chosen, _) => println!(
            "First start: created staff account \"admin\" with the password from TENANTRY_ADMIN_PASSWORD."
        ),
        (_, FirstPassword::Terminal) => println!(
            "\n  First start: created staff account \"admin\" with one-time password:\n\n      {password}\n\n  Sign in and keep it safe; it is not shown again.\n"
        ),
        (_, FirstPassword::Secret { namespace, name, .. }) => println!(
            "First start: created staff account \"admin\"; its one-time password is in the Secret \
             {namespace}/{name} (key \"{PASSWORD_KEY}\"): read it once, then delete the Secret."
        ),
    }
    Ok(())
}

/// A new password written to the Secret, or the one already there: several
/// replicas starting at once, or one that died between the Secret and the
/// account, all end with the one password the Secret holds.
async fn secret_once(client: &kube::Client, namespace: &str, name: &str) -> Result<String> {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let password = generate_password();
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some([("app.kubernetes.io/part-of".into(), "tenantry".into())].into()),
            annotations: Some(
                [(
                    "tenantry.io/note".into(),
                    "the first admin's one-time password: read it once, then delete this Secret"
                        .into(),
                )]
                .into(),
            ),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".into()),
        string_data: Some([(PASSWORD_KEY.to_string(), password.clone())].into()),
        ..Secret::default()
    };
    let on = |e| ServerError::kube_on(&format!("Secret {namespace}/{name}"), e);
    match api.create(&PostParams::default(), &secret).await {
        Ok(_) => Ok(password),
        Err(kube::Error::Api(e)) if e.code == 409 => {
            let existing = api.get(name).await.map_err(on)?;
            existing
                .data
                .as_ref()
                .and_then(|d| d.get(PASSWORD_KEY))
                .and_then(|v| String::from_utf8(v.0.clone()).ok())
                .ok_or_else(|| {
                    ServerError::Config(format!(
                        "the Secret {namespace}/{name} exists without a \"{PASSWORD_KEY}\" key"
                    ))
                })
        }
        Err(e) => Err(on(e)),
    }
}
