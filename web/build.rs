//! Embeds `static/` into the crate: generates a table of `include_bytes!`
//! entries and a version string (a hash of every file's path and bytes).
//!
//! Doing it here rather than with an embedding crate keeps the web crate's
//! only dependency axum, and gives Cargo the directory to watch, so an
//! edited file is always re-embedded (a proc macro reading files is not
//! re-run when they change). The version names the asset URLs
//! (`/assets/<version>/…`), which may then be cached for a year: a changed
//! file changes every URL.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by Cargo")).join("static");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    // FNV-1a, 64 bits: stable across Rust versions (unlike `DefaultHasher`),
    // and a cache key needs no more.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut table = String::from("/// Every embedded file: its path under `static/` and its bytes.\npub(crate) static FILES: &[(&str, &[u8])] = &[\n");
    for relative in &files {
        let bytes = std::fs::read(root.join(relative)).expect("a readable file");
        for byte in relative
            .as_bytes()
            .iter()
            .chain([0u8].iter())
            .chain(bytes.iter())
        {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        let absolute = root.join(relative);
        writeln!(
            table,
            "    ({relative:?}, include_bytes!({:?})),",
            absolute.display().to_string()
        )
        .unwrap();
    }
    table.push_str("];\n");
    writeln!(table, "/// A hash of every embedded file: the asset URLs' version.\npub(crate) const VERSION: &str = \"{:012x}\";", hash >> 16).unwrap();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by Cargo")).join("embedded.rs");
    std::fs::write(out, table).expect("OUT_DIR is writable");
}

/// Every file under `directory`, as `/`-separated paths relative to `root`;
/// type declarations (`*.d.mts`, for the type-checker only) and dot files
/// are not served.
fn collect(root: &Path, directory: &Path, files: &mut Vec<String>) {
    let entries = std::fs::read_dir(directory).expect("a readable directory");
    for entry in entries {
        let path = entry.expect("a readable entry").path();
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .expect("UTF-8 names");
        if name.starts_with('.') || name.ends_with(".d.mts") || name.ends_with(".d.ts") {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let relative = path.strip_prefix(root).expect("under root");
            let parts: Vec<&str> = relative
                .iter()
                .map(|part| part.to_str().expect("UTF-8 names"))
                .collect();
            files.push(parts.join("/"));
        }
    }
}
