//! What commands print: a table for people (the default), or the API's
//! JSON or YAML for scripts (`-o json|yaml`).

use clap::ValueEnum;
use comfy_table::{presets::NOTHING, Table};
use serde_json::Value;

use super::api::{CliResult, ClientError, Exit};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
    Yaml,
}

/// A column: its heading and where its value is in each item (a JSON
/// pointer such as `/state` or `/health/health`).
pub type Column = (&'static str, &'static str);

pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        other => other.to_string(),
    }
}

/// "2026-12-01 17:20:00" for a time in ms.
pub fn when(v: &Value) -> String {
    v.as_i64()
        .map(crate::values::format_ms)
        .unwrap_or_else(|| "-".into())
}

fn value_at(item: &Value, pointer: &str) -> String {
    let v = item.pointer(pointer).unwrap_or(&Value::Null);
    if pointer.ends_with("_at") {
        when(v)
    } else {
        cell(v)
    }
}

/// Prints `value` as asked: rows of `items` (a list, or the `items` of a
/// page) in `columns` for a table.
pub fn print(value: &Value, format: Format, columns: &[Column]) -> CliResult<()> {
    match format {
        Format::Json => {
            println!(
                "{}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            );
        }
        Format::Yaml => {
            let text = yaml_serde::to_string(value)
                .map_err(|e| ClientError::new(Exit::Failure, e.to_string()))?;
            print!("{text}");
        }
        Format::Table => {
            let rows: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                Value::Object(o) if o.contains_key("items") => o["items"]
                    .as_array()
                    .map(|a| a.iter().collect())
                    .unwrap_or_default(),
                other => vec![other],
            };
            let mut t = Table::new();
            t.load_preset(NOTHING);
            t.set_header(columns.iter().map(|(h, _)| *h));
            for row in &rows {
                t.add_row(columns.iter().map(|(_, p)| value_at(row, p)));
            }
            println!("{t}");
            if let (Some(total), Some(page)) = (value.get("total"), value.get("page")) {
                println!("(page {}, {} in all)", cell(page), cell(total));
            }
        }
    }
    Ok(())
}
