//! The release schema published for editors and CI
//! (`public/schemas/release.schema.json`, served by the console at
//! `/schemas/release.schema.json`), generated from the very types a
//! release is read into, so the two cannot drift: a test fails when the
//! published file is not what the types say.

use app::dto::ReleaseSpec;
use serde_json::{json, Value};
use utoipa::{PartialSchema, ToSchema};

/// Where the console serves the schema.
pub const SCHEMA_PATH: &str = "/schemas/release.schema.json";

/// The release schema as a JSON Schema (2020-12) document.
pub fn release_schema() -> Value {
    let mut defs = vec![];
    <ReleaseSpec as ToSchema>::schemas(&mut defs);
    let mut root = serde_json::to_value(ReleaseSpec::schema()).unwrap_or_default();
    let defs: serde_json::Map<String, Value> = defs
        .into_iter()
        .map(|(name, schema)| (name, serde_json::to_value(schema).unwrap_or_default()))
        .collect();
    if let Some(obj) = root.as_object_mut() {
        obj.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        obj.insert("title".into(), json!("Tenantry application release"));
        obj.insert("$defs".into(), Value::Object(defs));
    }
    let text = root
        .to_string()
        .replace("#/components/schemas/", "#/$defs/");
    serde_json::from_str(&text).unwrap_or(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_schema_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../public/schemas/release.schema.json");
        let text = serde_json::to_string_pretty(&release_schema()).expect("json") + "\n";
        if std::env::var("UPDATE_GOLDEN").is_ok() {
            std::fs::write(&path, &text).expect("write schema");
            return;
        }
        let published = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            published == text,
            "{} is out of date (UPDATE_GOLDEN=1 to rewrite)",
            path.display()
        );
        // Unknown fields are refused, as the reader refuses them.
        let schema = release_schema();
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(
            schema["$defs"]["ComponentSpec"]["additionalProperties"],
            false
        );
    }
}
