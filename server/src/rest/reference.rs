//! `/api/v1/reference`: the OpenAPI document as a page people can read
//! (no script; the same document the JSON is).

use axum::http::header;
use axum::response::{IntoResponse, Response};
use html_escape::encode_text as esc;
use std::fmt::Write;
use utoipa::openapi::path::{Operation, Parameter, ParameterIn};
use utoipa::openapi::{RefOr, Schema};

use super::document;

fn schema_name(s: &RefOr<Schema>) -> String {
    match s {
        RefOr::Ref(r) => r
            .ref_location
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string(),
        RefOr::T(Schema::Array(a)) => match &a.items {
            utoipa::openapi::schema::ArrayItems::RefOrSchema(inner) => {
                format!("[{}]", schema_name(inner))
            }
            _ => "array".into(),
        },
        RefOr::T(_) => "object".into(),
    }
}

fn where_(p: &Parameter) -> &'static str {
    match p.parameter_in {
        ParameterIn::Path => "path",
        ParameterIn::Query => "query",
        ParameterIn::Header => "header",
        ParameterIn::Cookie => "cookie",
    }
}

fn operation(out: &mut String, method: &str, path: &str, op: &Operation) {
    let id = format!("{method}-{path}").replace(['/', '{', '}'], "-");
    let _ = write!(
        out,
        "<section class=\"card\" id=\"{}\"><h3><code>{} {}</code></h3>",
        esc(&id),
        method.to_uppercase(),
        esc(path)
    );
    for text in [&op.summary, &op.description].into_iter().flatten() {
        let _ = write!(out, "<p>{}</p>", esc(text));
    }
    if let Some(params) = &op.parameters {
        out.push_str(
            "<table><thead><tr><th>Parameter</th><th>In</th><th>About</th></tr></thead><tbody>",
        );
        for p in params {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&p.name),
                where_(p),
                esc(p.description.as_deref().unwrap_or(""))
            );
        }
        out.push_str("</tbody></table>");
    }
    if let Some(body) = &op.request_body {
        for (ty, c) in &body.content {
            if let Some(s) = &c.schema {
                let _ = write!(
                    out,
                    "<p>Body: <code>{}</code> ({})</p>",
                    esc(&schema_name(s)),
                    esc(ty)
                );
            }
        }
    }
    out.push_str("<p>Answers: ");
    let codes: Vec<String> = op
        .responses
        .responses
        .iter()
        .map(|(code, r)| match r {
            RefOr::T(r) => {
                let body = r
                    .content
                    .values()
                    .find_map(|c| c.schema.as_ref().map(schema_name))
                    .map(|n| format!(" <code>{}</code>", esc(&n)))
                    .unwrap_or_default();
                format!(
                    "<abbr title=\"{}\">{code}</abbr>{body}",
                    esc(&r.description)
                )
            }
            RefOr::Ref(_) => code.clone(),
        })
        .collect();
    out.push_str(&codes.join(", "));
    out.push_str("</p></section>");
}

pub async fn page() -> Response {
    let doc = document();
    let mut body = String::new();
    let _ = write!(
        body,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tenantry API reference</title>\
         <link rel=\"stylesheet\" href=\"/pkg/tenantry.css\"></head><body><main class=\"reference\">\
         <h1>Tenantry API v{}</h1><p>{}</p><p>The machine-readable document: \
         <a href=\"{}\"><code>{}</code></a>. Errors are <code>Problem</code> objects: \
         <code>{{\"error\", \"message\", \"fields\": [{{\"field\", \"message\"}}]}}</code>.</p>",
        esc(&doc.info.version),
        esc(doc.info.description.as_deref().unwrap_or("")),
        super::OPENAPI_PATH,
        super::OPENAPI_PATH
    );
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("get", &item.get),
            ("post", &item.post),
            ("put", &item.put),
            ("patch", &item.patch),
            ("delete", &item.delete),
        ];
        for (method, op) in ops {
            if let Some(op) = op {
                operation(&mut body, method, path, op);
            }
        }
    }
    body.push_str("</main></body></html>");
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}
