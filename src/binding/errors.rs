//! How failures cross between the core and JavaScript: the core's [`Failure`] becomes a thrown
//! `TypeError` or leaves a getter's exception pending; a failed Node-API call becomes a
//! [`Failure`] the core can pass on.

use napi::{Env, Status};

use crate::core::host::{Failure, Outcome};

/// The core's outcome as napi-rs's: a broken contract throws a `TypeError` with the core's
/// message; an internal fault a plain `Error`; an exception a getter threw is still pending and
/// propagates unchanged.
pub fn or_throw<T>(env: &Env, outcome: Outcome<T>) -> napi::Result<T> {
    outcome.map_err(|failure| {
        let thrown = match failure {
            Failure::Type(message) => env.throw_type_error(&message.replace('\0', "\\0"), None),
            Failure::Internal(message) => env.throw_error(&message.replace('\0', "\\0"), None),
            Failure::Thrown => Ok(()),
        };
        match thrown {
            Ok(()) => napi::Error::from_status(Status::PendingException),
            Err(error) => error,
        }
    })
}

/// A failed Node-API call: the exception a getter or trap threw is still pending and
/// propagates as is; anything else is reported with napi-rs's reason.
impl From<napi::Error> for Failure {
    fn from(error: napi::Error) -> Self {
        if error.status == Status::PendingException {
            Failure::Thrown
        } else {
            Failure::Internal(format!("paperclip-session-compaction: {}", error.reason))
        }
    }
}
