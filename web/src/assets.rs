//! The embedded files: the app's page and its versioned assets, with the
//! cache headers each deserves.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// The version in every asset URL: a hash of the embedded files, so a new
/// build never meets an old copy in a cache.
pub const ASSET_VERSION: &str = VERSION;

/// What `index.html` says where asset URLs start; replaced once by
/// `/assets/<version>`.
const ASSET_PREFIX_PLACEHOLDER: &str = "/assets/__VERSION__";

/// A year, the longest lifetime caches honour: versioned URLs never change.
const CACHE_VERSIONED: &str = "public, max-age=31536000, immutable";
/// The page (and assets asked for under another version) is checked with
/// the server every time, so a new build is picked up by the next load.
const CACHE_REVALIDATE: &str = "no-cache";

/// The URL of an embedded file, e.g. `asset_path("app/main.js")`.
pub fn asset_path(path: &str) -> String {
    format!("/assets/{ASSET_VERSION}/{path}")
}

fn file(path: &str) -> Option<&'static [u8]> {
    FILES
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, bytes)| *bytes)
}

/// `index.html` with the asset URLs of this build.
fn index_html() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| {
        let source = file("index.html").expect("static/index.html is embedded");
        let source = std::str::from_utf8(source).expect("index.html is UTF-8");
        source.replace(
            ASSET_PREFIX_PLACEHOLDER,
            &format!("/assets/{ASSET_VERSION}"),
        )
    })
}

/// The entity tag of everything in this build: unchanged files answer a
/// revalidation with 304 and no body.
fn entity_tag() -> HeaderValue {
    HeaderValue::from_str(&format!("\"{ASSET_VERSION}\"")).expect("hex digits")
}

fn not_modified(request: &HeaderMap) -> bool {
    let tag = entity_tag();
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|candidate| {
            let candidate = candidate.trim();
            candidate == "*" || candidate.trim_start_matches("W/") == tag
        })
}

fn respond(
    request: &HeaderMap,
    content_type: &'static str,
    cache: &'static str,
    body: &'static [u8],
) -> Response {
    let headers = [
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        (header::ETAG, entity_tag()),
    ];
    if not_modified(request) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (
        headers,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

/// Any of the app's pages: the app reads the path and shows the view.
pub(crate) async fn app_page(request: HeaderMap) -> Response {
    respond(
        &request,
        "text/html; charset=utf-8",
        CACHE_REVALIDATE,
        index_html().as_bytes(),
    )
}

/// `/assets/<version>/<path>`: an embedded file. The current version is
/// cached for a year; another (a page loaded before an upgrade asking for
/// a module it loads late) gets today's file, to be checked again.
pub(crate) async fn asset(
    Path((version, path)): Path<(String, String)>,
    request: HeaderMap,
) -> Response {
    let Some(body) = file(&path).filter(|_| path != "index.html") else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let cache = if version == ASSET_VERSION {
        CACHE_VERSIONED
    } else {
        CACHE_REVALIDATE
    };
    respond(&request, content_type(&path), cache, body)
}

/// `/favicon.ico`, which browsers ask for on pages that name no icon (the
/// server's own small pages): the app's SVG icon, revalidated like the page.
pub(crate) async fn favicon(request: HeaderMap) -> Response {
    let body = file("favicon.svg").expect("static/favicon.svg is embedded");
    respond(&request, "image/svg+xml", CACHE_REVALIDATE, body)
}

/// The media type of an embedded file, by its extension.
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json" | "webmanifest") => "application/json",
        Some("html") => "text/html; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_its_assets_by_this_builds_version() {
        let page = index_html();
        assert!(!page.contains("__VERSION__"), "{page}");
        assert!(page.contains(&asset_path("app/main.js")), "{page}");
    }

    #[test]
    fn every_embedded_file_has_a_known_media_type() {
        for (path, _) in FILES {
            assert_ne!(
                content_type(path),
                "application/octet-stream",
                "{path} would be served as bytes"
            );
        }
    }

    /// The modules a file imports statically (`import … from "x"`), as
    /// paths under `static/`; dynamic `import()`s load later, on demand.
    fn static_imports(path: &str) -> Vec<String> {
        let source = std::str::from_utf8(file(path).unwrap()).unwrap();
        let directory = path.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("");
        let mut found = Vec::new();
        // Type-only imports live in JSDoc comments: skip comment lines.
        let code = source.lines().filter(|line| {
            let line = line.trim_start();
            !(line.starts_with("/*") || line.starts_with('*') || line.starts_with("//"))
        });
        for piece in code.flat_map(|line| line.split("from").skip(1)) {
            let piece = piece.trim_start();
            let Some(quote) = piece.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            let Some(target) = piece[1..].split(quote).next() else {
                continue;
            };
            if !target.starts_with('.') {
                continue;
            }
            let mut parts: Vec<&str> = directory.split('/').filter(|p| !p.is_empty()).collect();
            for part in target.split('/') {
                match part {
                    "." => {}
                    ".." => {
                        parts.pop();
                    }
                    part => parts.push(part),
                }
            }
            found.push(parts.join("/"));
        }
        found
    }

    #[test]
    fn the_first_page_loads_under_150_kb_of_javascript() {
        // Counted uncompressed, which bounds the compressed size too.
        const FIRST_PAGE_JS_BYTES_MAX: usize = 150 * 1024;
        let mut seen = std::collections::BTreeSet::new();
        let mut queue = vec!["app/main.js".to_owned()];
        while let Some(path) = queue.pop() {
            if seen.insert(path.clone()) {
                assert!(file(&path).is_some(), "{path} is imported but not embedded");
                queue.extend(static_imports(&path));
            }
        }
        assert!(seen.contains("vendor/preact.mjs"), "{seen:?}");
        assert!(
            !seen.iter().any(|path| path.starts_with("app/dashboard/")),
            "the dashboard is loaded on demand only: {seen:?}"
        );
        let total: usize = seen.iter().map(|path| file(path).unwrap().len()).sum();
        assert!(
            total < FIRST_PAGE_JS_BYTES_MAX,
            "{total} bytes of JavaScript on the first page: {seen:?}"
        );
    }

    #[test]
    fn the_page_has_no_inline_script() {
        let page = index_html();
        for tag in page.split("<script").skip(1) {
            let opening = tag.split('>').next().unwrap_or_default();
            assert!(opening.contains("src="), "inline script: <script{opening}>");
            assert!(
                tag.split('>')
                    .nth(1)
                    .unwrap_or_default()
                    .starts_with("</script"),
                "a script element with a body"
            );
        }
    }
}
