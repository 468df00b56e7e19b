//! Form fields that are text in the browser's forms but may be numbers or
//! booleans in JSON (the API, a template file): both decode to the same
//! text, which the form's rules then check and name when wrong.

use serde::de::{Deserializer, Error, Visitor};

struct Text;

impl Visitor<'_> for Text {
    type Value = Option<String>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("text, a number or a boolean")
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    /// A checkbox's JSON form: ticked is "on", unticked is absent.
    fn visit_bool<E: Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.then(|| "on".to_string()))
    }
    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Text, or a number written as text (`null` is empty).
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(d.deserialize_any(Text)?.unwrap_or_default())
}

/// A checkbox: "on", `true`, or absent / `false` / `null`.
pub fn checkbox<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(Text)
}

#[cfg(test)]
mod tests {
    use super::super::TemplateForm;

    #[test]
    fn numbers_and_booleans_read_as_the_form_would() {
        let f: TemplateForm = serde_json::from_str(
            r#"{"key":"pro","postgres_instances":2,"cpu_limit_m":"500","backup_enabled":true,"user_limit":null}"#,
        )
        .unwrap();
        assert_eq!(f.postgres_instances, "2");
        assert_eq!(f.cpu_limit_m, "500");
        assert_eq!(f.backup_enabled.as_deref(), Some("on"));
        assert_eq!(f.user_limit, "");
        let f: TemplateForm = serde_json::from_str(r#"{"backup_enabled":false}"#).unwrap();
        assert_eq!(f.backup_enabled, None);
        assert!(serde_json::from_str::<TemplateForm>(r#"{"name":[1]}"#).is_err());
    }
}
