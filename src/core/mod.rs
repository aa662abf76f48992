//! The pure core: the contract's decisions over an abstract [`host::Host`], with no Node-API.

pub mod audit;
pub mod breaker;
pub mod contract_reads;
pub mod evaluation;
pub mod explanation;
pub mod host;
pub mod js_semantics;
pub mod policy;

#[cfg(any(test, feature = "model"))]
pub mod model;
