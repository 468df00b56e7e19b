//! The backup bucket as the console sees it. Only the console holds the
//! store's key: a backup or restore Job gets a presigned URL for its one
//! object and method (PUT to back up, GET to restore), valid until the Job's
//! deadline; the console checks what was written and deletes the dumps its
//! catalogue puts beyond the retention. Requests are signed with SigV4 (`rusty-s3`), path-style.

use std::time::Duration;

use rusty_s3::actions::{DeleteObject, GetObject, HeadObject, PutObject, S3Action};
use rusty_s3::{Bucket, Credentials, UrlStyle};

use crate::error::{Result, ServerError};
use crate::manifests::{split_destination, RenderSettings};
use crate::values::StoreCredentials;

/// How long a signed request of the console's own is valid.
const OWN_REQUEST: Duration = Duration::from_secs(300);

/// The bucket, the console's key and where each tenant's dumps live.
#[derive(Clone)]
pub struct ObjectStore {
    bucket: Bucket,
    credentials: Credentials,
    prefix: String,
    sse: Option<String>,
    http: reqwest::Client,
}

impl std::fmt::Debug for ObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ObjectStore(s3://{}/{})",
            self.bucket.name(),
            self.prefix
        )
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> ServerError {
    ServerError::Wait(format!("the backup store: {what}: {e}"))
}

impl ObjectStore {
    /// The configured store (`--backup-destination`, `--backup-endpoint`,
    /// `--backup-region`, `--backup-sse`) with the console's key.
    pub fn new(s: &RenderSettings, creds: &StoreCredentials) -> Result<ObjectStore> {
        let (bucket, prefix) = split_destination(&s.backup_destination).ok_or_else(|| {
            ServerError::Config(format!(
                "the backup destination {:?} is not s3://bucket[/prefix]",
                s.backup_destination
            ))
        })?;
        let endpoint = if s.backup_endpoint.is_empty() {
            format!("https://s3.{}.amazonaws.com", s.backup_region)
        } else {
            s.backup_endpoint.clone()
        };
        let endpoint: url::Url = endpoint
            .parse()
            .map_err(|e| ServerError::Config(format!("the backup endpoint {endpoint:?}: {e}")))?;
        let bucket = Bucket::new(
            endpoint,
            UrlStyle::Path,
            bucket.to_string(),
            s.backup_region.clone(),
        )
        .map_err(|e| ServerError::Config(format!("the backup bucket: {e}")))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                ServerError::Config(format!("an HTTP client for the backup store: {e}"))
            })?;
        Ok(ObjectStore {
            bucket,
            credentials: Credentials::new(
                creds.access_key_id.0.clone(),
                creds.secret_access_key.0.clone(),
            ),
            prefix: prefix.to_string(),
            sse: s.backup_sse.clone(),
            http,
        })
    }

    pub fn bucket(&self) -> &str {
        self.bucket.name()
    }

    /// Where a tenant's dumps live: `<prefix>/<tenant>/`.
    pub fn tenant_dir(&self, tenant: &str) -> String {
        if self.prefix.is_empty() {
            format!("{tenant}/")
        } else {
            format!("{}/{tenant}/", self.prefix)
        }
    }

    /// Whether `key` names one object directly in the tenant's directory.
    pub fn is_tenants(&self, key: &str, tenant: &str) -> bool {
        key.strip_prefix(&self.tenant_dir(tenant))
            .is_some_and(|name| {
                !name.is_empty()
                    && !name.contains('/')
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                    && name != "."
                    && name != ".."
            })
    }

    /// A URL a Job may PUT one dump to (with the SSE header signed in when
    /// configured), valid for `valid`.
    pub fn put_url(&self, key: &str, valid: Duration) -> url::Url {
        let mut put = PutObject::new(&self.bucket, Some(&self.credentials), key);
        if let Some(sse) = &self.sse {
            put.headers_mut()
                .insert("x-amz-server-side-encryption", sse.clone());
        }
        put.sign(valid)
    }

    /// A URL a Job may GET one dump from, valid for `valid`.
    pub fn get_url(&self, key: &str, valid: Duration) -> url::Url {
        GetObject::new(&self.bucket, Some(&self.credentials), key).sign(valid)
    }

    /// The stored size of `key`, if it exists.
    pub async fn size(&self, key: &str) -> Result<Option<u64>> {
        let url = HeadObject::new(&self.bucket, Some(&self.credentials), key).sign(OWN_REQUEST);
        let res = self
            .http
            .head(url)
            .send()
            .await
            .map_err(|e| failed(&format!("checking {key}"), e.without_url()))?;
        match res.status().as_u16() {
            404 => Ok(None),
            s if (200..300).contains(&s) => Ok(res
                .headers()
                .get(reqwest::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())),
            s => Err(failed(&format!("checking {key}"), format!("HTTP {s}"))),
        }
    }

    pub async fn delete(&self, key: &str) -> Result<()> {
        let url = DeleteObject::new(&self.bucket, Some(&self.credentials), key).sign(OWN_REQUEST);
        let res = self
            .http
            .delete(url)
            .send()
            .await
            .map_err(|e| failed(&format!("deleting {key}"), e.without_url()))?;
        if res.status().is_success() || res.status().as_u16() == 404 {
            Ok(())
        } else {
            Err(failed(
                &format!("deleting {key}"),
                format!("HTTP {}", res.status()),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::Secret;

    fn store(dest: &str) -> ObjectStore {
        let s = RenderSettings {
            backup_destination: dest.into(),
            backup_endpoint: "http://127.0.0.1:9".into(),
            backup_sse: Some("AES256".into()),
            ..RenderSettings::default()
        };
        let creds = StoreCredentials {
            access_key_id: Secret("AKIDEXAMPLE".into()),
            secret_access_key: Secret("very secret".into()),
        };
        ObjectStore::new(&s, &creds).expect("store")
    }

    #[test]
    fn a_url_is_for_one_object_one_method_and_names_no_secret() {
        let s = store("s3://backups/prod");
        assert_eq!(s.tenant_dir("acme"), "prod/acme/");
        let put = s.put_url(
            "prod/acme/20261206T020000Z-db-backup-s1.dump",
            Duration::from_secs(600),
        );
        let text = put.to_string();
        assert!(
            text.starts_with(
                "http://127.0.0.1:9/backups/prod/acme/20261206T020000Z-db-backup-s1.dump?"
            ),
            "{text}"
        );
        assert!(
            text.contains("X-Amz-Expires=600") && text.contains("X-Amz-Signature="),
            "{text}"
        );
        assert!(
            text.contains("x-amz-server-side-encryption"),
            "the SSE header is signed: {text}"
        );
        assert!(!text.contains("very secret"), "{text}");
        let get = s
            .get_url("prod/acme/x.dump", Duration::from_secs(60))
            .to_string();
        assert_ne!(
            get.split("X-Amz-Signature=").nth(1),
            put.as_str().split("X-Amz-Signature=").nth(1)
        );
        assert!(s.is_tenants("prod/acme/x.dump", "acme"));
        for other in [
            "prod/acmex/x.dump",
            "prod/acme/../bolt/x.dump",
            "other/acme/x.dump",
            "prod/acme/",
        ] {
            assert!(!s.is_tenants(other, "acme"), "{other}");
        }
        assert!(store("s3://backups").is_tenants("acme/x.dump", "acme"));
    }
}
