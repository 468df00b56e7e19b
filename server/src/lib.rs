//! Tenantry's server: everything that touches the database, sessions,
//! secrets and (later) the cluster. `main.rs` only parses flags and dispatches.

pub mod alerts;
pub mod answer;
pub mod applications;
pub mod auth;
pub mod background;
pub mod client;
pub mod cluster;
pub mod config;
pub mod console;
pub mod domains;
pub mod error;
pub mod host;
pub mod http;
pub mod live;
pub mod manifests;
pub mod metrics;
pub mod monitoring;
pub mod provisioning;
pub mod replicas;
pub mod rest;
pub mod rollouts;
pub mod store;
pub mod telemetry;
pub mod values;
