//! Where `tenantry login` keeps the console's address and the token: one
//! JSON file readable by its owner only (mode 0600).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::api::{CliResult, ClientError, Exit};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Saved {
    pub server: Option<String>,
    pub token: Option<String>,
}

/// `$TENANTRY_CONFIG`, else `$XDG_CONFIG_HOME/tenantry/config.json`, else
/// `~/.config/tenantry/config.json`.
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TENANTRY_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("tenantry").join("config.json"))
}

pub fn load() -> Saved {
    path()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// Writes the file with mode 0600 from its creation (the token is never
/// readable by others, not even for a moment).
pub fn save(saved: &Saved) -> CliResult<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let fail =
        |e: std::io::Error| ClientError::new(Exit::Failure, format!("saving the login: {e}"));
    let p = path().ok_or_else(|| {
        ClientError::new(
            Exit::Failure,
            "no place for the login: set HOME or TENANTRY_CONFIG",
        )
    })?;
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let tmp = p.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(fail)?;
    let text = serde_json::to_string_pretty(saved).unwrap_or_default();
    f.write_all(text.as_bytes()).map_err(fail)?;
    f.sync_all().map_err(fail)?;
    std::fs::rename(&tmp, &p).map_err(fail)?;
    Ok(p)
}
