//! The Node-API binding, in napi-rs's idiom: `#[napi]` functions over the core, a [`Host`]
//! over napi-rs values ([`node_host`]), `#[napi(object)]` answers.
//!
//! [`Host`]: crate::core::host::Host

mod audit;
mod decisions;
mod errors;
mod node_host;
