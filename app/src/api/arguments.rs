//! Arguments of server functions checked before the function runs, with
//! the very types the function decodes (the structs the `#[server]` macro
//! generates), so a malformed request names the argument: a value of the
//! wrong type, a missing argument. The decoder inside Leptos reports only
//! "invalid type", without the name. Each capability file lists its server
//! functions with `checked!`; the server runs the check.

use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

/// The nesting depth server functions decode forms with.
const FORM_DEPTH: usize = 5;

/// One server function's path and the check of its form.
#[derive(Clone, Copy)]
pub struct ArgumentCheck {
    pub path: &'static str,
    /// Why a form body does not decode as the function's arguments.
    pub explain: fn(&[u8]) -> Option<String>,
}

impl ArgumentCheck {
    pub const fn of<F: ServerFn + DeserializeOwned>() -> Self {
        Self {
            path: F::PATH,
            explain: explain::<F>,
        }
    }
}

/// "form[ids][0]" for the path serde reports as form.ids[0].
fn form_key(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for seg in path.iter() {
        let part = match seg {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } => key.clone(),
            Segment::Enum { variant } => variant.clone(),
            Segment::Unknown => "?".into(),
        };
        if out.is_empty() {
            out = part;
        } else {
            out.push_str(&format!("[{part}]"));
        }
    }
    out
}

/// Why `body` does not decode as `T`, naming the argument.
fn explain<T: DeserializeOwned>(body: &[u8]) -> Option<String> {
    let config = serde_qs::Config::new(FORM_DEPTH, false);
    let de = match serde_qs::Deserializer::with_config(&config, body) {
        Ok(de) => de,
        Err(e) => return Some(format!("the form cannot be read: {e}")),
    };
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(_) => None,
        Err(e) => {
            let key = form_key(e.path());
            let inner = e.inner().to_string();
            Some(if key.is_empty() || key == "?" {
                inner
            } else {
                format!("argument \"{key}\": {inner}")
            })
        }
    }
}
