//! Custom fields: what an application asks of each tenant beyond the
//! record (a brand colour, a region, a support e-mail). Its release
//! declares them; staff fill them in the new-tenant wizard and the
//! tenant's change form; they are stored per tenant and reach the
//! application through `${field.<name>}` values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A tenant's custom field values by name, as typed (normalised on save).
pub type CustomValues = BTreeMap<String, String>;

string_enum!(
    /// What a custom field holds, and so how it is checked and typed in.
    CustomFieldKind {
        Text => "text",
        Number => "number",
        Boolean => "boolean",
        Choice => "choice",
        Email => "email",
        Url => "url",
        Colour => "colour",
    }
);

/// One field an application's release asks of every tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomFieldSpec {
    /// Its key (`a-z`, `0-9`, `_`, starting with a letter; at most 40):
    /// `${field.<name>}` in values, `custom_fields.<name>` in forms.
    pub name: String,
    /// What staff read beside the input.
    pub label: String,
    #[serde(rename = "type")]
    pub kind: CustomFieldKind,
    /// A tenant must have a value (its default counts).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// The value a tenant has until one is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// A regular expression the whole text must match (text fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The values a choice field offers (at least two).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// A line of help shown under the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}
