//! HTTP request durations by method, route template and status.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

use super::{metrics, HttpLabels};

/// An axum middleware (`middleware::from_fn(track_http)`). The route is
/// the matched template; requests no route matched count as one route, so
/// a scan of random paths cannot grow the label set.
pub async fn track_http(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let response = next.run(req).await;
    let labels = HttpLabels {
        method: normal_method(&method),
        route,
        status: response.status().as_u16().to_string(),
    };
    metrics()
        .http_duration
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}

/// Known methods as they are; anything else as one label.
fn normal_method(m: &str) -> String {
    match m {
        "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => m.to_string(),
        _ => "other".to_string(),
    }
}
