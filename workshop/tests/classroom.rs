//! `cargo kit classroom`, the instructor's dashboard, as students and a browser see it: the
//! real server process in a network namespace of the test's own, reports POSTed over HTTP
//! (good ones, garbage, oversized, hang-ups, stalls), the JSON read back, and the page rendered by a
//! headless Chromium.
//!
//! Run: `cargo test -p workshop --test classroom` (as root, through the cargo runner: the
//! network namespace needs it; Chromium comes from scripts/setup-host.sh).

mod common;

use harness::netns::TestNetns;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A `cargo kit classroom` process listening on a free loopback port in `ns`; killed (by
/// its pid) and reaped on drop.
struct Classroom {
    child: Child,
    addr: String,
}

impl Classroom {
    fn start(ns: &TestNetns) -> Classroom {
        let mut child = ns
            .command(env!("CARGO_BIN_EXE_workshop"))
            .args([
                "classroom",
                "--listen",
                "127.0.0.1:0",
                "--no-registry",
                "--no-book",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start cargo kit classroom");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("classroom dashboard: http://")
            .and_then(|a| a.strip_suffix('/'))
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_string();
        Classroom { child, addr }
    }
}

impl Drop for Classroom {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One raw HTTP/1.1 exchange (so the test can send what no well-behaved client would):
/// returns the status code and the body.
fn exchange(addr: &str, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let _ = stream.write_all(request); // the server may refuse before reading it all
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {answer:?}"));
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

fn post(addr: &str, body: &[u8]) -> (u16, String) {
    let mut request = format!(
        "POST /api/report HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    exchange(addr, &request)
}

fn room(addr: &str) -> Value {
    let request = format!("GET /api/room HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let (status, body) = exchange(addr, request.as_bytes());
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn report(student: &str, results: Value) -> Vec<u8> {
    let doctor = json!({ "ready": false, "required_missing": 2, "checks": [] });
    json!({ "student": student, "results": results, "doctor": doctor })
        .to_string()
        .into_bytes()
}

fn student<'a>(room: &'a Value, name: &str) -> &'a Value {
    room["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {room}"))
}

#[test]
fn reports_fill_the_grid_and_garbage_is_refused_without_harm() {
    let ns = TestNetns::new();
    let classroom = Classroom::start(&ns);
    let addr = classroom.addr.clone();
    ns.run(|| {
        let empty = room(&addr);
        assert!(empty["students"].as_array().unwrap().is_empty());
        assert!(empty["exercises"].as_array().unwrap().contains(&json!("01.1")));

        let results = json!({ "01.1": { "passed": true }, "01.2": { "passed": false } });
        let (status, body) = post(&addr, &report("alice@pc1", results));
        assert_eq!(status, 200, "{body}");
        let seen = room(&addr);
        let alice = student(&seen, "alice@pc1");
        assert_eq!(alice["cells"]["01.1"], "passed");
        assert_eq!(alice["cells"]["01.2"], "failed");
        assert_eq!(alice["current"], "01.2");
        assert_eq!(alice["stuck_since"], alice["last_seen"]);
        assert_eq!(alice["doctor"], json!({ "ready": false, "required_missing": 2 }));

        let garbage: [(&[u8], u16, &str); 5] = [
            (b"{not json", 400, "not valid JSON"),
            (b"\xff\xfe{}", 400, "not UTF-8"),
            (br#"{"student":"","results":{}}"#, 400, "student must be"),
            (br#"{"student":"bob","results":[1]}"#, 400, "results must be"),
            (br#"{"student":"bob","results":{"01.1":{"passed":"yes"}}}"#, 400, "passed must be"),
        ];
        for (body, want, why) in garbage {
            let (status, said) = post(&addr, body);
            assert_eq!(status, want, "{said}");
            assert!(said.contains(why), "{said} should say {why}");
        }

        // Oversized: announced by Content-Length (refused before it is read) …
        let huge = format!(
            "POST /api/report HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 10000000000\r\nConnection: close\r\n\r\n"
        );
        assert_eq!(exchange(&addr, huge.as_bytes()).0, 413);
        // … or chunked, with no length announced (refused after the limit, not the end).
        let mut chunked = format!(
            "POST /api/report HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        .into_bytes();
        for _ in 0..5 {
            chunked.extend_from_slice(format!("{:x}\r\n", 64 * 1024).as_bytes());
            chunked.extend(std::iter::repeat_n(b'x', 64 * 1024));
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        assert_eq!(exchange(&addr, &chunked).0, 413);

        // A student who vanishes mid-report: headers promise 100 bytes, 10 come, then hang-up.
        let mut stream = TcpStream::connect(&addr).unwrap();
        let partial = format!(
            "POST /api/report HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100\r\n\r\n{{\"student\""
        );
        stream.write_all(partial.as_bytes()).unwrap();
        drop(stream);
        // One whose machine stalls mid-report (the connection stays open, nothing more
        // comes) holds up only that report.
        let mut stalled = TcpStream::connect(&addr).unwrap();
        stalled.write_all(partial.as_bytes()).unwrap();

        let after = room(&addr);
        assert_eq!(after["students"].as_array().unwrap().len(), 1, "{after}");
        assert_eq!(student(&after, "alice@pc1")["cells"], alice["cells"]);
        drop(stalled);
    });
}

/// Runs headless Chromium on `url` in `ns` and returns the DOM after the page's scripts ran
/// (`--dump-dom`; `--virtual-time-budget` lets its timers and fetch() complete first).
fn chromium_dom(ns: &TestNetns, url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = ns
        .command("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run /usr/bin/chromium (scripts/setup-host.sh installs it)");
    std::thread::scope(|s| {
        let stdout = child.stdout.take().unwrap();
        let reading = s.spawn(move || {
            let mut text = String::new();
            let _ = BufReader::new(stdout).read_to_string(&mut text);
            text
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        reading.join().unwrap()
    })
}

/// The text of the grid cell `id` in a dumped DOM.
fn cell_text(dom: &str, id: &str) -> Option<String> {
    let at = dom.find(&format!("id=\"{id}\""))?;
    let rest = &dom[at..];
    let start = rest.find('>')? + 1;
    let end = rest.find("</td>")?;
    Some(rest[start..end].to_string())
}

#[test]
fn the_dashboard_in_chromium_shows_a_cell_change_after_a_report() {
    let ns = TestNetns::new();
    let classroom = Classroom::start(&ns);
    let addr = classroom.addr.clone();
    let url = format!("http://{addr}/");
    let cell = "cell:carol@pc7:01.1";

    let before = chromium_dom(&ns, &url);
    assert!(
        before.contains("0 student(s)"),
        "the page did not render: {before}"
    );
    assert_eq!(cell_text(&before, cell), None);

    let failing = json!({ "01.1": { "passed": false } });
    assert_eq!(ns.run(|| post(&addr, &report("carol@pc7", failing))).0, 200);
    let stuck = chromium_dom(&ns, &url);
    assert_eq!(
        cell_text(&stuck, cell).as_deref(),
        Some("failed"),
        "{stuck}"
    );
    assert!(stuck.contains("01.1 for "), "stuck time not shown: {stuck}");
    assert!(
        stuck.contains("2 missing"),
        "doctor verdict not shown: {stuck}"
    );

    let passing = json!({ "01.1": { "passed": true } });
    assert_eq!(ns.run(|| post(&addr, &report("carol@pc7", passing))).0, 200);
    let done = chromium_dom(&ns, &url);
    assert_eq!(cell_text(&done, cell).as_deref(), Some("passed"), "{done}");
}

#[test]
fn check_reports_to_the_room_and_an_unreachable_room_is_only_a_warning() {
    let ns = TestNetns::new();
    let classroom = Classroom::start(&ns);
    let copy = common::copy_that_does_not_compile("01.3");
    let kit = |url: &str| {
        let args = ["check", "01.3", "--student", "dave@pc2", "--report", url];
        common::kit_with(
            ns.command(env!("CARGO_BIN_EXE_workshop")),
            copy.path(),
            &args,
        )
    };

    let out = kit(&format!("http://{}", classroom.addr));
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("reported to the classroom as dave@pc2"),
        "{said}"
    );
    let seen = ns.run(|| room(&classroom.addr));
    let dave = student(&seen, "dave@pc2");
    assert_eq!(dave["compile_error"], true, "{seen}");
    assert!(
        dave["doctor"]["ready"].is_boolean(),
        "no doctor verdict: {seen}"
    );

    // Nothing listens on port 1 of this namespace's loopback: a warning, the same exit code.
    let out = kit("http://127.0.0.1:1");
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("warning: could not report to the classroom"),
        "{said}"
    );
}
