//! The domain is pure: time and ids come in as command data. This scans the
//! sources for the usual ways of reading a clock or making randomness, so a
//! convenient `Utc::now()` slipped into a decision fails the build's tests.

use std::fs;
use std::path::Path;

const FORBIDDEN: [&str; 7] = [
    "Utc::now",
    "Local::now",
    "SystemTime",
    "Instant::now",
    "new_v4",
    "new_v7",
    "thread_rng",
];

fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn no_source_file_reads_a_clock_or_generates_random_ids() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 10, "the scan found the sources");
    let mut offenders = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        for word in FORBIDDEN {
            if text.contains(word) {
                offenders.push(format!("{}: {word}", file.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "impure calls: {offenders:#?}");
}
