//! The integration tests, one binary (faster links, a third of the disk): the real router over
//! a real SQLite file, real HTTP to the provider emulator. One module per subject; the shared
//! harness is `helpers`; `process` and `session` run the built `gitpat` binary for the load and
//! crash tests.
//! Tests that need a process of their own are `../logs.rs` (a tracing subscriber) and
//! `../concurrency.rs` (many renders at once on one runtime).

mod helpers;
mod process;
mod session;

mod admin_api;
mod assets;
mod attacks;
mod cli;
mod crash;
mod deprovisioning;
mod faults;
mod jobs;
mod load;
mod mail;
mod memory;
mod oauth;
mod outbound;
mod providers;
mod rekey;
mod replicas;

mod router_auth;
mod runtime_api;
mod schema;
mod telemetry;
mod throttling;
mod tokens_api;
mod transport;
