//! A real browser for the web app's journeys: headless Chromium driven
//! through chromedriver over the W3C WebDriver protocol (JSON over HTTP,
//! spoken here with the reqwest client the API tests already use, so no
//! WebDriver crate is compiled for a dozen calls).
//!
//! [`Browser::journey`] runs a journey and, when it fails, saves a
//! screenshot, the page's HTML and the browser's console log under
//! `target/tmp/browser/<journey>/` and prints where. Every journey ends by
//! asserting the console holds no error: a CSP violation, a failed request
//! or an exception in the app all show there.

#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use futures::FutureExt as _;
use serde_json::{json, Value};
use tokio::process::{Child, Command};

/// How long a wait for an element or a text lasts by default: a person's
/// patience, doubled for a loaded 2-core CI machine.
pub const WAIT_MS: u64 = 30_000;
/// Between two looks while waiting.
const POLL_MS: u64 = 100;
/// The W3C name of an element reference in WebDriver's JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How to get the browser on Debian/Ubuntu (what `.ci/run` does).
pub const INSTALL_COMMAND: &str = "sudo apt-get install -y chromium chromium-driver";

/// Browsers running at once among this binary's tests. Each journey runs
/// a Chromium beside its own server; on a 2-core machine more at once only
/// makes each slower, until waits written for a person's pace time out.
const BROWSERS_AT_ONCE: usize = 2;
static BROWSERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(BROWSERS_AT_ONCE);

/// A chromedriver process and one browser session in it.
pub struct Browser {
    /// This browser's turn among [`BROWSERS_AT_ONCE`]; kept outside the journey too.
    turn: Option<tokio::sync::SemaphorePermit<'static>>,
    /// Kept outside the journey (see [`Browser::journey`]).
    driver: Option<Child>,
    http: reqwest::Client,
    session: String,
    base: String,
    /// Where this journey's screenshots and logs go.
    pub artifacts: PathBuf,
}

/// A found element.
#[derive(Clone)]
pub struct Element {
    id: String,
}

fn find_program(name: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(name.to_uppercase().replace('-', "_")) {
        return Some(PathBuf::from(path)).filter(|path| path.is_file());
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|directory| directory.join(name));
    candidates
        .iter()
        .map(PathBuf::from)
        .chain(on_path)
        .find(|path| path.is_file())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
        .port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium; fails saying how to
    /// install them when they are missing (`CHROMEDRIVER` and `CHROMIUM`
    /// name other binaries).
    pub async fn start(journey: &str) -> Browser {
        let turn = BROWSERS
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let driver_path = find_program("chromedriver", &["/usr/bin/chromedriver"])
            .unwrap_or_else(|| {
                panic!(
                    "chromedriver is not installed; the browser tests need Chromium and its driver: {INSTALL_COMMAND} (or set CHROMEDRIVER and CHROMIUM)"
                )
            });
        let chromium = find_program(
            "chromium",
            &[
                "/usr/bin/chromium",
                "/usr/bin/chromium-browser",
                "/usr/bin/google-chrome",
            ],
        )
        .unwrap_or_else(|| panic!("Chromium is not installed: {INSTALL_COMMAND}"));
        let artifacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("browser")
            .join(journey);
        let _ = std::fs::remove_dir_all(&artifacts);
        std::fs::create_dir_all(&artifacts).expect("an artifacts directory");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        // A port picked here may be taken before chromedriver binds it: try a few.
        for _ in 0..5 {
            let port = free_port();
            let mut driver = Command::new(&driver_path)
                .arg(format!("--port={port}"))
                .arg(format!(
                    "--log-path={}",
                    artifacts.join("chromedriver.log").display()
                ))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .unwrap_or_else(|error| panic!("starting {}: {error}", driver_path.display()));
            let base = format!("http://127.0.0.1:{port}");
            let ready = wait_until_ready(&http, &base).await;
            if !ready {
                let _ = driver.start_kill();
                continue;
            }
            let capabilities = json!({ "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": [
                        "--headless=new",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--window-size=1280,900",
                        "--lang=en-US",
                    ],
                },
                "goog:loggingPrefs": { "browser": "ALL" },
            } } });
            let response = match http
                .post(format!("{base}/session"))
                .json(&capabilities)
                .send()
                .await
            {
                Ok(response) => response.json::<Value>().await.ok(),
                Err(_) => None,
            };
            let Some(session) = response
                .as_ref()
                .and_then(|response| response["value"]["sessionId"].as_str())
                .map(str::to_owned)
            else {
                // Shut chromedriver down rather than kill it, so that a
                // browser it was starting does not outlive the test.
                let _ = http.get(format!("{base}/shutdown")).send().await;
                Driver(driver).stop().await;
                panic!(
                    "no browser session ({response:?}); chromedriver's log: {}",
                    artifacts.join("chromedriver.log").display()
                );
            };
            return Browser {
                turn: Some(turn),
                driver: Some(driver),
                http,
                session,
                base,
                artifacts,
            };
        }
        panic!(
            "chromedriver did not start (log in {})",
            artifacts.display()
        );
    }

    /// Runs `journey` against this browser; on failure saves what the
    /// browser showed, then fails with the original message. On success
    /// asserts the console logged no error.
    pub async fn journey<F, Fut>(mut self, journey: F)
    where
        F: FnOnce(Browser) -> Fut,
        Fut: Future<Output = Browser>,
    {
        // Held here, not in the journey's future: a failing journey drops
        // its browser, and chromedriver must outlive that to be asked for
        // the screenshot.
        let driver = self.driver.take().map(Driver);
        let _turn = self.turn.take();
        let session = self.session.clone();
        let base = self.base.clone();
        let http = self.http.clone();
        let artifacts = self.artifacts.clone();
        let outcome = std::panic::AssertUnwindSafe(journey(self))
            .catch_unwind()
            .await;
        let browser = match outcome {
            Ok(browser) => browser,
            Err(panic) => {
                let orphan = Detached {
                    http,
                    base,
                    session,
                };
                // Saving may fail too (a browser that crashed): the journey's
                // own failure is the one to report.
                let _ = std::panic::AssertUnwindSafe(orphan.save_artifacts(&artifacts))
                    .catch_unwind()
                    .await;
                eprintln!(
                    "browser journey failed: screenshot, page and console log in {}",
                    artifacts.display()
                );
                orphan.close().await;
                if let Some(driver) = driver {
                    driver.stop().await;
                }
                std::panic::resume_unwind(panic);
            }
        };
        let errors = browser.console_errors().await;
        if !errors.is_empty() {
            browser.detached().save_artifacts(&browser.artifacts).await;
        }
        browser.detached().close().await;
        if let Some(driver) = driver {
            driver.stop().await;
        }
        assert!(
            errors.is_empty(),
            "the browser console logged errors (saved in {}):\n{}",
            browser.artifacts.display(),
            errors.join("\n")
        );
    }

    fn detached(&self) -> Detached {
        Detached {
            http: self.http.clone(),
            base: self.base.clone(),
            session: self.session.clone(),
        }
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        self.detached().command(method, path, body).await
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.command(reqwest::Method::POST, "url", json!({ "url": url }))
            .await;
    }

    /// The address the browser shows.
    pub async fn url(&self) -> String {
        self.command(reqwest::Method::GET, "url", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The elements matching `css` now.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self
            .command(
                reqwest::Method::POST,
                "elements",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        found
            .as_array()
            .map(|elements| {
                elements
                    .iter()
                    .filter_map(|element| element[ELEMENT_KEY].as_str())
                    .map(|id| Element { id: id.to_owned() })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits (up to [`WAIT_MS`]) for an element matching `css`.
    pub async fn find(&self, css: &str) -> Element {
        self.find_with_text(css, "").await
    }

    /// Waits for an element matching `css` whose text contains `text`.
    pub async fn find_with_text(&self, css: &str, text: &str) -> Element {
        self.find_with_text_within(css, text, WAIT_MS).await
    }

    /// As [`Browser::find_with_text`], waiting up to `wait_ms`.
    pub async fn find_with_text_within(&self, css: &str, text: &str, wait_ms: u64) -> Element {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(wait_ms);
        loop {
            for element in self.find_all(css).await {
                if text.is_empty() || self.text(&element).await.contains(text) {
                    return element;
                }
            }
            if tokio::time::Instant::now() > deadline {
                let body = self.page_text().await;
                panic!(
                    "no `{css}` containing {text:?} within {wait_ms} ms at {}; the page says:\n{body}",
                    self.url().await
                );
            }
            tokio::time::sleep(Duration::from_millis(POLL_MS)).await;
        }
    }

    /// Waits until the page's text contains `text`.
    pub async fn wait_for_text(&self, text: &str) {
        self.find_with_text("body", text).await;
    }

    /// Waits (up to `wait_ms`) until the address contains `part`.
    pub async fn wait_for_url(&self, part: &str, wait_ms: u64) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(wait_ms);
        loop {
            let url = self.url().await;
            if url.contains(part) {
                return url;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the browser never reached a URL with {part:?}; it is at {url}; the page says:\n{}",
                self.page_text().await
            );
            tokio::time::sleep(Duration::from_millis(POLL_MS)).await;
        }
    }

    /// The element's visible text.
    pub async fn text(&self, element: &Element) -> String {
        self.command(
            reqwest::Method::GET,
            &format!("element/{}/text", element.id),
            Value::Null,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The page's visible text.
    pub async fn page_text(&self) -> String {
        match self.find_all("body").await.first() {
            Some(body) => self.text(body).await,
            None => String::new(),
        }
    }

    /// An attribute (or property) of the element.
    pub async fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        self.command(
            reqwest::Method::GET,
            &format!("element/{}/attribute/{name}", element.id),
            Value::Null,
        )
        .await
        .as_str()
        .map(str::to_owned)
    }

    /// Clicks the element (scrolled into view, as a person would).
    pub async fn click(&self, element: &Element) {
        self.command(
            reqwest::Method::POST,
            &format!("element/{}/click", element.id),
            json!({}),
        )
        .await;
    }

    /// Waits for `css` containing `text` and clicks it.
    pub async fn click_text(&self, css: &str, text: &str) {
        let element = self.find_with_text(css, text).await;
        self.click(&element).await;
    }

    /// Clears the input matching `css` and types `value` into it.
    pub async fn fill(&self, css: &str, value: &str) {
        let element = self.find(css).await;
        // WebDriver's own "clear" fires no `input` event, so a Preact
        // input would put its old value back on the next render: empty it
        // as typing would, then type.
        self.execute(
            "const input = arguments[0]; input.value = ''; \
             input.dispatchEvent(new Event('input', { bubbles: true }));",
            json!([{ ELEMENT_KEY: element.id }]),
        )
        .await;
        self.command(
            reqwest::Method::POST,
            &format!("element/{}/value", element.id),
            json!({ "text": value }),
        )
        .await;
    }

    /// Chooses the option whose text contains `label` in the `<select>`
    /// matching `css`, as a person picks it (Preact sets an option's value
    /// as a property, so there is no attribute to select it by).
    pub async fn select(&self, css: &str, label: &str) {
        self.click_text(&format!("{css} option"), label).await;
    }

    /// Resizes the browser's window, e.g. to a phone's 390 × 844.
    pub async fn resize(&self, width: u32, height: u32) {
        self.command(
            reqwest::Method::POST,
            "window/rect",
            json!({ "width": width, "height": height }),
        )
        .await;
    }

    /// Whether the page is wider than the window (a phone would scroll
    /// sideways): what "readable on a phone" must avoid.
    pub async fn overflows_sideways(&self) -> bool {
        self.execute(
            "return document.documentElement.scrollWidth > document.documentElement.clientWidth",
            json!([]),
        )
        .await
            == Value::Bool(true)
    }

    /// The tag and text of the element that has the keyboard focus.
    pub async fn focused(&self) -> String {
        self.execute(
            "const e = document.activeElement; return e ? e.tagName + ' ' + e.textContent : ''",
            json!([]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Runs `script` in the page (for what a person sees but WebDriver
    /// does not expose, e.g. which element has focus); its result.
    pub async fn execute(&self, script: &str, arguments: Value) -> Value {
        self.command(
            reqwest::Method::POST,
            "execute/sync",
            json!({ "script": script, "args": arguments }),
        )
        .await
    }

    /// Saves a screenshot of the page as `name`.png into `directory`.
    pub async fn screenshot_to(&self, directory: &std::path::Path, name: &str) -> PathBuf {
        self.detached().screenshot(directory, name).await
    }

    /// Saves a screenshot for the README when `DROPLEDGER_WEB_SCREENSHOTS`
    /// names a directory (`cargo test` alone writes nothing there).
    pub async fn screenshot_for_readme(&self, name: &str) {
        if let Some(directory) = std::env::var_os("DROPLEDGER_WEB_SCREENSHOTS") {
            let directory = PathBuf::from(directory);
            std::fs::create_dir_all(&directory).expect("the screenshot directory");
            self.execute("window.scrollTo(0, 0)", json!([])).await;
            self.screenshot_to(&directory, name).await;
        }
    }

    /// The console's error entries so far (each read once).
    pub async fn console_errors(&self) -> Vec<String> {
        self.detached()
            .console()
            .await
            .into_iter()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

/// chromedriver's process, given time to finish its shutdown (asked for by
/// [`Detached::close`]) before it is killed.
struct Driver(Child);

impl Driver {
    async fn stop(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.0.wait()).await;
    }
}

/// The session's address, usable after the journey gave up the browser.
struct Detached {
    http: reqwest::Client,
    base: String,
    session: String,
}

impl Detached {
    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}/{path}", self.base, self.session);
        let mut request = self.http.request(method.clone(), &url);
        if method != reqwest::Method::GET {
            request = request.json(&body);
        }
        let response: Value = request
            .send()
            .await
            .unwrap_or_else(|error| panic!("chromedriver: {path}: {error}"))
            .json()
            .await
            .unwrap_or_else(|error| panic!("chromedriver: {path}: {error}"));
        let value = response["value"].clone();
        if let Some(error) = value.get("error").and_then(Value::as_str) {
            // A stale element is met while a view re-renders or the page
            // navigates: callers that poll simply look again. Chromium
            // reports an element of a page navigated away from as an
            // "unknown error" whose node "does not belong to the document".
            let detached = value["message"]
                .as_str()
                .is_some_and(|message| message.contains("does not belong to the document"));
            if error == "stale element reference" || error == "no such element" || detached {
                return Value::Null;
            }
            panic!("chromedriver: {path}: {error}: {}", value["message"]);
        }
        value
    }

    async fn screenshot(&self, directory: &std::path::Path, name: &str) -> PathBuf {
        let encoded = self
            .command(reqwest::Method::GET, "screenshot", Value::Null)
            .await;
        let path = directory.join(format!("{name}.png"));
        if let Some(encoded) = encoded.as_str() {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .expect("a base64 PNG");
            std::fs::write(&path, bytes).expect("the screenshot is written");
        }
        path
    }

    /// The browser's console entries since the last read (chromedriver's
    /// log endpoint, enabled by `goog:loggingPrefs`).
    async fn console(&self) -> Vec<Value> {
        self.command(
            reqwest::Method::POST,
            "se/log",
            json!({ "type": "browser" }),
        )
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
    }

    async fn save_artifacts(&self, directory: &std::path::Path) {
        self.screenshot(directory, "failure").await;
        let source = self
            .command(reqwest::Method::GET, "source", Value::Null)
            .await;
        let _ = std::fs::write(
            directory.join("page.html"),
            source.as_str().unwrap_or_default(),
        );
        let console: Vec<String> = self
            .console()
            .await
            .iter()
            .map(|entry| format!("{} {}", entry["level"], entry["message"]))
            .collect();
        let _ = std::fs::write(directory.join("console.log"), console.join("\n"));
    }

    /// Quits the browser, then asks chromedriver to shut down, which
    /// removes the browser's profile directory (a killed chromedriver
    /// leaves it in /tmp).
    async fn close(&self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
        let _ = self
            .http
            .get(format!("{}/shutdown", self.base))
            .send()
            .await;
    }
}

async fn wait_until_ready(http: &reqwest::Client, base: &str) -> bool {
    for _ in 0..100 {
        if let Ok(response) = http.get(format!("{base}/status")).send().await {
            if let Ok(status) = response.json::<Value>().await {
                if status["value"]["ready"] == true {
                    return true;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
