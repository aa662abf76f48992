//! A line of a history to a row. Inside, the modules depend one way: `fields`, `skip`,
//! `copy_text`, `surrogates`, `search`, `rotation` ← the parsers (`scanner`, `serde_path`) ←
//! `row` ← `format`.

pub(crate) mod copy_text;
#[cfg(any(test, feature = "model"))]
pub(crate) mod cross_check;
pub(crate) mod fields;
pub(crate) mod format;
pub(crate) mod rotation;
pub(crate) mod row;
pub(crate) mod scanner;
pub(crate) mod search;
pub(crate) mod serde_path;
pub(crate) mod skip;
pub mod surrogates;
