//! The Node-API binding: registers the exports and reads JavaScript values for the core.

mod audit;
mod exports;
pub mod node_api;

use napi_derive::napi;

#[napi(module_exports)]
pub fn init(exports: napi::bindgen_prelude::Object, env: napi::Env) -> napi::Result<()> {
    node_api::with_module(&env, &exports, exports::register)
}

/// The benchmark's second floor: an empty call through napi-rs's own `#[napi]` wrapper, the
/// cost every export of a napi-rs package starts from (ours are registered raw instead).
#[napi(js_name = "__emptyNapiCall")]
pub fn empty_napi_call() {}
