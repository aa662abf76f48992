//! JavaScript's own rules for the few conversions the contract uses, on UTF-16 code units.
//! Each function names the JavaScript expression it mirrors: [`strings`], [`numbers`] and
//! [`dates`], re-exported here.

pub mod dates;
pub mod numbers;
pub mod strings;

pub use dates::{iso_date, iso_date_time, parse_iso_date_time, parse_postgres_time, time_clip};
pub use numbers::{floor_non_negative, js_max, max_zero, number_to_en_us, number_to_string, string_to_number};
pub use strings::{is_js_whitespace, is_non_blank, push_utf16, trim, trimmed_lower_eq, units_eq_ascii};
