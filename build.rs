//! napi-rs's build setup, and the adapter table: `data/adapter-table.json` says which adapters
//! `@paperclipai/adapter-utils` manages in which releases; the entries in force in the release
//! it `matches` become the resolver's table (`$OUT_DIR/adapter_table.rs`).

use std::error::Error;
use std::fmt::Write;

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Table {
    matches: String,
    adapters: Vec<Entry>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    adapter_type: String,
    native_context_management: String,
    default_session_compaction: String,
    since: String,
    until: Option<String>,
}

/// `2026.916.1` as numbers, to compare releases.
fn release(version: &str) -> Result<Vec<u64>, Box<dyn Error>> {
    Ok(version.split('.').map(str::parse).collect::<Result<_, _>>()?)
}

fn main() -> Result<(), Box<dyn Error>> {
    napi_build::setup();
    println!("cargo::rerun-if-changed=data/adapter-table.json");
    let table: Table = serde_json::from_str(&std::fs::read_to_string("data/adapter-table.json")?)?;
    let matches = release(&table.matches)?;
    let mut entries = String::new();
    let mut count = 0;
    for entry in &table.adapters {
        let in_force = release(&entry.since)? <= matches
            && entry
                .until
                .as_deref()
                .map(release)
                .transpose()?
                .is_none_or(|until| matches < until);
        if !in_force {
            continue;
        }
        let native = match entry.native_context_management.as_str() {
            "confirmed" => "Confirmed",
            "unknown" => "Unknown",
            other => return Err(format!("{}: nativeContextManagement {other:?}", entry.adapter_type).into()),
        };
        let default = match entry.default_session_compaction.as_str() {
            "managed" => "MANAGED",
            "thresholds" => "THRESHOLDED",
            other => return Err(format!("{}: defaultSessionCompaction {other:?}", entry.adapter_type).into()),
        };
        writeln!(
            entries,
            "    ({:?}, adapter(NativeContextManagement::{native}, {default})),",
            entry.adapter_type
        )?;
        count += 1;
    }
    let code = format!(
        "/// The `@paperclipai/adapter-utils` release whose adapter table this is.\n\
         pub const ADAPTER_TABLE_VERSION: &str = {:?};\n\n\
         const ADAPTERS: [(&str, AdapterSessionManagement); {count}] = [\n{entries}];\n",
        table.matches
    );
    let out = std::path::Path::new(&std::env::var("OUT_DIR")?).join("adapter_table.rs");
    std::fs::write(out, code)?;
    Ok(())
}
