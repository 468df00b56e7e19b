//! The CLI's connection to a console's `/api/v1`: bearer token, JSON in
//! and out, and errors mapped to the documented exit codes.

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// How a command ended, as its exit code (documented in the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Anything not named below.
    Failure = 1,
    /// Bad usage or input the console refused as invalid (400, 422).
    Usage = 2,
    /// Not signed in, token invalid, or the role does not allow it (401, 403).
    Auth = 3,
    NotFound = 4,
    /// The resource's state or version does not allow it (409, 412, 428).
    Conflict = 5,
    /// The run the command followed failed or was cancelled.
    RunFailed = 6,
    /// No answer from the console.
    Unreachable = 7,
}

/// A command's failure: what to print and how to exit.
#[derive(Debug)]
pub struct ClientError {
    pub exit: Exit,
    pub message: String,
}

impl ClientError {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub type CliResult<T> = Result<T, ClientError>;

fn exit_for(status: StatusCode) -> Exit {
    match status.as_u16() {
        400 | 413 | 415 | 422 => Exit::Usage,
        401 | 403 => Exit::Auth,
        404 => Exit::NotFound,
        409 | 412 | 428 => Exit::Conflict,
        _ => Exit::Failure,
    }
}

/// A console and the token to call it with.
#[derive(Clone)]
pub struct Api {
    pub base: url::Url,
    token: Option<String>,
    http: reqwest::Client,
    /// Sent with the command's POSTs (`--idempotency-key`).
    idempotency_key: Option<String>,
}

impl Api {
    pub fn new(
        base: url::Url,
        token: Option<String>,
        idempotency_key: Option<String>,
    ) -> CliResult<Api> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("tenantry-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::new(Exit::Failure, e.to_string()))?;
        let plain = base.scheme() == "http"
            && !matches!(base.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if plain && token.is_some() {
            eprintln!("tenantry: warning: sending the token to {base} over plain http");
        }
        Ok(Api {
            base,
            token,
            http,
            idempotency_key,
        })
    }

    pub fn url(&self, path: &str) -> CliResult<url::Url> {
        self.base
            .join(path)
            .map_err(|e| ClientError::new(Exit::Usage, format!("{path}: {e}")))
    }

    pub fn request(&self, method: Method, path: &str) -> CliResult<reqwest::RequestBuilder> {
        let mut req = self.http.request(method, self.url(path)?);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        Ok(req)
    }

    /// Sends and reads the answer; an error answer becomes a [`ClientError`]
    /// with the console's message and the fields it names.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> CliResult<Value> {
        let res = req.send().await.map_err(|e| {
            ClientError::new(
                Exit::Unreachable,
                format!("the console at {} did not answer: {e}", self.base),
            )
        })?;
        let status = res.status();
        let text = res.text().await.map_err(|e| {
            ClientError::new(Exit::Unreachable, format!("the answer was cut off: {e}"))
        })?;
        let body: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status.is_success() {
            return Ok(body);
        }
        let mut message = body
            .get("message")
            .and_then(Value::as_str)
            .map(String::from)
            .unwrap_or_else(|| format!("{status}: {body}"));
        if status == StatusCode::UNAUTHORIZED {
            message.push_str(" (run `tenantry login` or set TENANTRY_TOKEN)");
        }
        Err(ClientError::new(exit_for(status), message))
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> CliResult<T> {
        decode(self.send(self.request(Method::GET, path)?).await?)
    }

    /// A write with a JSON body (POSTs carry `--idempotency-key`, if given).
    pub async fn write<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: &B,
        if_match: Option<&str>,
    ) -> CliResult<Value> {
        let mut req = self.request(method.clone(), path)?.json(body);
        if let Some(key) = self
            .idempotency_key
            .as_ref()
            .filter(|_| method == Method::POST)
        {
            req = req.header(crate::answer::IDEMPOTENCY_KEY, key);
        }
        if let Some(tag) = if_match {
            req = req.header(reqwest::header::IF_MATCH, tag);
        }
        self.send(req).await
    }
}

pub fn decode<T: DeserializeOwned>(v: Value) -> CliResult<T> {
    serde_json::from_value(v).map_err(|e| {
        ClientError::new(
            Exit::Failure,
            format!("the console's answer was not understood: {e}"),
        )
    })
}
