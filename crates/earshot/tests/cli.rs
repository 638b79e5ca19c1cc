//! The `earshot` binary as users run it: ingest of real data on both databases, bad input,
//! the demo, and configuration precedence.

use earshot_core::{ChannelKind, ConversationId};
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_earshot");

fn twcs() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/conversations/twcs/twcs_first5000.csv");
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have ../shared: {} is missing",
        p.display()
    );
    eprintln!("SKIPPED: {} is not present", p.display());
    None
}

fn earshot(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .env_remove("EARSHOT_DATABASE")
        .env_remove("EARSHOT_CONFIG")
        .args(args)
        .output()
        .unwrap()
}

/// `read N, stored N, duplicates N, rejected N` from the summary line.
fn summary(out: &Output) -> HashMap<String, u64> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.contains("read "))
        .unwrap_or_else(|| panic!("no summary in {stdout}"));
    ["read", "stored", "duplicates", "rejected"]
        .iter()
        .map(|k| {
            let after = line.split(&format!("{k} ")).nth(1).unwrap();
            let n: String = after.chars().take_while(char::is_ascii_digit).collect();
            (k.to_string(), n.parse().unwrap())
        })
        .collect()
}

/// external id → conversation, for every message of the TWCS file.
async fn threads(
    url: &str,
    csv_path: &Path,
) -> (HashMap<String, ConversationId>, Vec<(String, String, bool)>) {
    let store = earshot_store::open(url).await.unwrap();
    let ws = store
        .workspace_by_name("default")
        .await
        .unwrap()
        .unwrap()
        .id;
    let mut rows = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(csv_path)
        .unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (id, inbound, parent) = (
        col("tweet_id"),
        col("inbound"),
        col("in_response_to_tweet_id"),
    );
    let mut conversation_of = HashMap::new();
    for record in reader.records() {
        let r = record.unwrap();
        let tweet = r[id].to_string();
        let m = store
            .message_by_external_id(ws, ChannelKind::X, "x", &tweet)
            .await
            .unwrap()
            .unwrap();
        conversation_of.insert(tweet.clone(), m.conversation_id);
        let p = r[parent].trim().trim_end_matches(".0").to_string();
        rows.push((tweet, p, &r[inbound] == "True"));
    }
    (conversation_of, rows)
}

/// The threads as a set of sets of tweet ids (conversation ids differ between databases).
fn partition(conversation_of: &HashMap<String, ConversationId>) -> BTreeSet<BTreeSet<String>> {
    let mut groups: HashMap<ConversationId, BTreeSet<String>> = HashMap::new();
    for (tweet, c) in conversation_of {
        groups.entry(*c).or_default().insert(tweet.clone());
    }
    groups.into_values().collect()
}

async fn check_twcs_ingest(url: &str, csv_path: &Path, dir: &Path) -> BTreeSet<BTreeSet<String>> {
    let csv = csv_path.to_str().unwrap();
    let first = earshot(dir, &["--database", url, "ingest", csv]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let s = summary(&first);
    assert_eq!(
        s["stored"] + s["duplicates"] + s["rejected"],
        s["read"],
        "{s:?}"
    );
    assert_eq!(s["read"], 5000);
    assert_eq!(s["stored"], 5000, "every real row is a valid message");

    let second = earshot(dir, &["--database", url, "ingest", csv]);
    let s2 = summary(&second);
    assert_eq!((s2["stored"], s2["duplicates"]), (0, 5000), "idempotent");

    let (conversation_of, rows) = threads(url, csv_path).await;
    let mut brand_replies = 0;
    for (tweet, parent, inbound) in &rows {
        if let Some(parent_conversation) = conversation_of.get(parent) {
            assert_eq!(
                conversation_of[tweet], *parent_conversation,
                "{tweet} answers {parent}"
            );
            if !inbound {
                brand_replies += 1;
            }
        }
    }
    assert!(
        brand_replies > 2000,
        "{brand_replies} brand replies checked"
    );
    partition(&conversation_of)
}

#[tokio::test]
async fn twcs_ingest_is_complete_idempotent_and_threaded_on_both_databases() {
    let Some(csv_path) = twcs() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("twcs.db").display());
    let sqlite_threads = check_twcs_ingest(&sqlite, &csv_path, dir.path()).await;
    assert!(
        sqlite_threads.len() > 1000,
        "{} conversations",
        sqlite_threads.len()
    );

    if let Some(pg) = PgDatabase::create("twcs").await {
        let pg_threads = check_twcs_ingest(&pg.url, &csv_path, dir.path()).await;
        pg.drop().await;
        assert_eq!(pg_threads, sqlite_threads, "same threads on both databases");
    }
}

/// A file with one of each kind of bad record between good ones, and what each should give.
fn bad_input() -> (Vec<u8>, Vec<(u64, &'static str)>) {
    let good = |id: &str| {
        format!(
            r#"{{"channel":"x","external_id":"{id}","author":{{"external_id":"u{id}"}},"text":"hello {id}","created_at":"2020-01-01T00:00:00Z"}}"#
        )
    };
    let mut lines: Vec<Vec<u8>> = vec![
        good("1").into_bytes(),
        br#"{"channel":"x","external_id":"2","author":{"external_id":"u"},"text":"cut of"#.to_vec(),
        br#"{"channel":"x","external_id":3,"author":{"external_id":"u"},"text":"hi","created_at":"2020-01-01T00:00:00Z"}"#.to_vec(),
        b"{\"channel\":\"x\",\"external_id\":\"4\",\"author\":{\"external_id\":\"u\"},\"text\":\"caf\xe9\",\"created_at\":\"2020-01-01T00:00:00Z\"}".to_vec(),
        br#"{"channel":"x","external_id":"5","author":{"external_id":"u"},"text":"","created_at":"2020-01-01T00:00:00Z"}"#.to_vec(),
        format!(r#"{{"channel":"x","external_id":"6","author":{{"external_id":"u"}},"text":"{}","created_at":"2020-01-01T00:00:00Z"}}"#, "a".repeat(10 * 1024 * 1024)).into_bytes(),
        br#"{"channel":"x","external_id":"7","author":{"external_id":"u"},"text":"hi","created_at":"2020-01-01T00:00:00Z","mood":"angry"}"#.to_vec(),
        br#"{"channel":"x","external_id":"8","author":{"external_id":"u"},"text":"re: a ghost","created_at":"2020-01-01T00:05:00Z","in_reply_to":"never-arrives"}"#.to_vec(),
        good("9").into_bytes(),
    ];
    let expected = vec![
        (2, "invalid_json"),
        (3, "invalid_json"),
        (4, "invalid_utf8"),
        (5, "empty_field"),
        (6, "line_too_long"),
        (7, "invalid_json"),
    ];
    let mut bytes = Vec::new();
    for line in lines.drain(..) {
        bytes.extend_from_slice(&line);
        bytes.push(b'\n');
    }
    (bytes, expected)
}

#[tokio::test]
async fn bad_records_are_reported_by_line_and_the_good_ones_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, expected) = bad_input();
    let input = dir.path().join("bad.jsonl");
    std::fs::write(&input, &bytes).unwrap();
    let url = format!("sqlite://{}", dir.path().join("bad.db").display());
    let out = earshot(
        dir.path(),
        &[
            "--database",
            &url,
            "ingest",
            input.to_str().unwrap(),
            "--rejects",
            "rejects.jsonl",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&out);
    assert_eq!((s["read"], s["stored"], s["rejected"]), (9, 3, 6), "{s:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 awaiting parent"));

    let rejects: Vec<serde_json::Value> = std::fs::read_to_string(dir.path().join("rejects.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(u64, String)> = rejects
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(u64, String)> = expected.iter().map(|(l, c)| (*l, c.to_string())).collect();
    assert_eq!(got, want);
    assert!(rejects
        .iter()
        .all(|r| !r["reason"].as_str().unwrap().is_empty()));
    assert!(rejects[5]["reason"].as_str().unwrap().contains("mood"));

    // The same lines over HTTP to a running server: client errors or 202, never a 500.
    let token_out = earshot(
        dir.path(),
        &[
            "--database",
            &url,
            "token",
            "create",
            "--workspace",
            "default",
        ],
    );
    let token = String::from_utf8(token_out.stdout)
        .unwrap()
        .trim()
        .to_string();
    let (server, addr) = spawn(
        dir.path(),
        &["--database", &url, "serve", "--bind", "127.0.0.1:0"],
        "listening on http://",
    );
    for (i, line) in bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let (status, body) = http(&addr, "POST", "/api/v1/messages", Some(&token), line);
        assert!(
            status == 202 || (400..500).contains(&status),
            "line {}: status {status}: {body}",
            i + 1
        );
        if status != 202 {
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(json["code"].is_string(), "{body}");
        }
    }
    let (status, _) = http(&addr, "GET", "/healthz", None, b"");
    assert_eq!(status, 200, "the server is still up");
    drop(server);
}

/// Starts `earshot ARGS`, waits for a line containing `marker` on stdout or stderr and returns
/// the address after it.
/// A running `earshot`, killed and reaped when dropped (also when a test panics).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(dir: &Path, args: &[&str], marker: &str) -> (Running, String) {
    let (child, addr, rx) = spawn_with_output(dir, args, marker);
    // Keep draining output so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in rx {});
    (child, addr)
}

/// Like [`spawn`], and hands back the rest of the child's output lines.
fn spawn_with_output(
    dir: &Path,
    args: &[&str],
    marker: &str,
) -> (Running, String, std::sync::mpsc::Receiver<String>) {
    let mut child = Running(
        Command::new(BIN)
            .current_dir(dir)
            .env_remove("EARSHOT_DATABASE")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    for stream in [
        Box::new(child.0.stdout.take().unwrap()) as Box<dyn Read + Send>,
        Box::new(child.0.stderr.take().unwrap()),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let mut seen = Vec::new();
    loop {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no `{marker}` from earshot; saw {seen:?}"));
        if let Some(rest) = line.split(marker).nth(1) {
            let addr = rest.split_whitespace().next().unwrap().to_string();
            return (child, addr, rx);
        }
        seen.push(line);
    }
}

/// A minimal HTTP/1.1 client: one request, `Connection: close`, status and body back;
/// status 0 when no server answers.
fn http(addr: &str, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, String) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    http_with(addr, method, path, &headers, body)
}

#[test]
fn the_demo_serves_real_conversations_with_a_printed_token() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let (demo, addr, output) = spawn_with_output(
        dir.path(),
        &["--database", &url, "demo", "--bind", "127.0.0.1:0"],
        "URL:   http://",
    );
    let mut login = None;
    let token = loop {
        let line = output
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("a token line");
        if let Some(l) = line.split("Login: ").nth(1) {
            login = Some(l.trim().to_string());
        }
        if let Some(t) = line.split("Token: ").nth(1) {
            break t.trim().to_string();
        }
    };
    assert!(token.starts_with("esk_"), "{token}");
    // The printed demo login signs in to the web UI.
    let login = login.expect("a Login: line");
    let (email, password) = login.split_once(" / ").expect("email / password");
    let form = format!("email={}&password={password}", email.replace('@', "%40"));
    let mut stream = TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "POST /login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    )
    .unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 303"), "{response}");
    assert!(response.contains("earshot_session="), "{response}");
    let (status, body) = http(
        &addr,
        "GET",
        "/api/v1/conversations?limit=5",
        Some(&token),
        b"",
    );
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 5);
    let (status, _) = http(&addr, "GET", "/api/v1/conversations", None, b"");
    assert_eq!(status, 401);
    drop(demo);
}

#[test]
fn flags_beat_environment_beats_earshot_toml() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("earshot.toml"),
        "database = \"sqlite://from-toml.db\"\n",
    )
    .unwrap();
    let run = |env: Option<&str>, flag: Option<&str>| {
        let mut cmd = Command::new(BIN);
        cmd.current_dir(dir.path())
            .env_remove("EARSHOT_DATABASE")
            .env_remove("EARSHOT_CONFIG");
        if let Some(e) = env {
            cmd.env("EARSHOT_DATABASE", e);
        }
        if let Some(f) = flag {
            cmd.args(["--database", f]);
        }
        let out = cmd.arg("migrate").output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    assert!(run(None, None).contains("from-toml.db"));
    assert!(run(Some("sqlite://from-env.db"), None).contains("from-env.db"));
    assert!(
        run(Some("sqlite://from-env.db"), Some("sqlite://from-flag.db")).contains("from-flag.db")
    );
    let bad = Command::new(BIN)
        .current_dir(dir.path())
        .args(["--database", "mysql://x", "migrate"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unsupported database URL"));
}

#[test]
fn listen_prints_the_matching_query_ids_of_each_post_in_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("queries.tsv"),
        "refunds\trefund* AND NOT spam\nlate\t\"late delivery\"~2 OR delay NEAR/3 flight\nangry\t😡 OR #fail\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("posts.txt"),
        "Where is my REFUND?\nthe delivery was late again 😡\nnothing to see\nrefund spam spam\nflight delay, want refunds #fail\n",
    )
    .unwrap();
    let out = earshot(
        dir.path(),
        &["listen", "--queries", "queries.tsv", "--file", "posts.txt"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(
        lines,
        ["refunds", "late angry", "", "", "refunds late angry"]
    );

    // `lang:` sees each post's detected language, as in the pipeline.
    std::fs::write(
        dir.path().join("lang.tsv"),
        "es\treembolso AND lang:es\nen\trefund AND lang:en\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("langs.txt"),
        "quiero un reembolso de mi pedido, por favor, nunca llegó\nI want a refund for my order, it never arrived\n",
    )
    .unwrap();
    let out = earshot(
        dir.path(),
        &["listen", "--queries", "lang.tsv", "--file", "langs.txt"],
    );
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "es\nen\n");

    std::fs::write(
        dir.path().join("bad.tsv"),
        "ok\trefund\nbroken\t(refund OR\nno tab here\n",
    )
    .unwrap();
    let out = earshot(
        dir.path(),
        &["listen", "--queries", "bad.tsv", "--file", "posts.txt"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 2 (query `broken`), column 11: the query ends here"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 3: expected `id<TAB>query`"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn classify_labels_and_explains_texts_one_json_line_per_input_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = earshot(
        dir.path(),
        &["classify", "worst airline ever, my bag is lost again"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("language:  en"), "{text}");
    assert!(text.contains("sentiment: negative"), "{text}");
    assert!(text.contains("intent:    complaint"), "{text}");
    assert!(text.contains("urgency:   "), "{text}");
    assert!(text.contains("because "), "{text}");

    std::fs::write(
        dir.path().join("texts.txt"),
        "thank you so much, wonderful crew!\n\n😡😡😡 NOT ok\n",
    )
    .unwrap();
    let out = earshot(dir.path(), &["classify", "--file", "texts.txt"]);
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        3,
        "one line out per line in, empty ones included"
    );
    assert_eq!(lines[0]["sentiment"]["label"], "positive");
    assert_eq!(lines[0]["language"], "en");
    assert!(lines[0]["intents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["name"] == "praise" && i["confidence"].is_number()));
    assert_eq!(lines[1]["sentiment"]["label"], "unknown", "an empty line");
    assert_eq!(lines[1]["language"], "unknown");
    assert!(lines[1]["urgency"]["score"].is_number());
    assert_eq!(lines[2]["sentiment"]["label"], "negative");
    assert!(lines[2]["sentiment"]["scores"]["neutral"].is_number());
}

/// A fresh PostgreSQL database for one test, dropped with it; `None` (and a note) when the
/// machine has no PostgreSQL for tests, which CI never allows.
struct PgDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create(tag: &str) -> Option<Self> {
        use sqlx::Connection;
        let Ok(admin) = std::env::var("EARSHOT_TEST_POSTGRES_URL") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must set EARSHOT_TEST_POSTGRES_URL"
            );
            eprintln!("PostgreSQL half SKIPPED: EARSHOT_TEST_POSTGRES_URL is not set");
            return None;
        };
        let name = format!("earshot_cli_{tag}_{}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        Some(Self { admin, name, url })
    }

    async fn drop(self) {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.admin).await.unwrap();
        sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

/// NUL characters (which PostgreSQL cannot store) in a message's text, handle or display
/// name, or in a setting: the record is rejected with its reason and line, the rest stored,
/// the same on both databases; over HTTP a clear 4xx that names the field, never a 500.
#[tokio::test]
async fn a_nul_character_is_rejected_with_its_reason_and_stops_nothing_on_either_database() {
    let dir = tempfile::tempdir().unwrap();
    let line = |id: &str, text: &str, handle: &str| {
        serde_json::json!({"channel": "x", "external_id": id,
            "author": {"external_id": format!("u{id}"), "handle": handle},
            "text": text, "created_at": "2020-01-01T00:00:00Z"})
        .to_string()
    };
    let lines = [
        line("1", "my order is late", "ann"),
        line("2", "a\u{0}b", "bob"),
        line("3", "hello", "c\u{0}l"),
        line("4", "still waiting", "dee"),
    ];
    let input = dir.path().join("nul.jsonl");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let pg = PgDatabase::create("nul").await;
    let mut urls = vec![format!("sqlite://{}", dir.path().join("nul.db").display())];
    if let Some(pg) = &pg {
        urls.push(pg.url.clone());
    }
    for url in &urls {
        let out = earshot(
            dir.path(),
            &[
                "--database",
                url,
                "ingest",
                input.to_str().unwrap(),
                "--rejects",
                "nul-rejects.jsonl",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(2),
            "{url}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let s = summary(&out);
        assert_eq!(
            (s["read"], s["stored"], s["rejected"]),
            (4, 2, 2),
            "{url}: {s:?}"
        );
        let rejects: Vec<serde_json::Value> =
            std::fs::read_to_string(dir.path().join("nul-rejects.jsonl"))
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
        let got: Vec<(u64, &str)> = rejects
            .iter()
            .map(|r| (r["line"].as_u64().unwrap(), r["code"].as_str().unwrap()))
            .collect();
        assert_eq!(
            got,
            [(2, "control_character"), (3, "control_character")],
            "{url}"
        );
        assert!(rejects[1]["reason"]
            .as_str()
            .unwrap()
            .contains("author.handle"));

        // Over HTTP: the message batch is refused as a whole with the item named, a setting
        // with the field named; nothing fails inside the database.
        let token = earshot(
            dir.path(),
            &[
                "--database",
                url,
                "token",
                "create",
                "--workspace",
                "default",
            ],
        );
        let token = String::from_utf8(token.stdout).unwrap().trim().to_string();
        let (server, addr) = spawn(
            dir.path(),
            &["--database", url, "serve", "--bind", "127.0.0.1:0"],
            "listening on http://",
        );
        let body = format!("[{}, {}]", line("10", "fine", "eve"), lines[1]);
        let (status, text) = http(
            &addr,
            "POST",
            "/api/v1/messages",
            Some(&token),
            body.as_bytes(),
        );
        assert_eq!(status, 422, "{url}: {text}");
        assert!(
            text.contains("\"index\":1") && text.contains("control_character"),
            "{text}"
        );
        let (status, text) = http(
            &addr,
            "POST",
            "/api/v1/teams",
            Some(&token),
            br#"{"name": "Bil\u0000ling"}"#,
        );
        assert_eq!(status, 400, "{url}: {text}");
        assert!(
            text.contains("control_character") && text.contains("`name`"),
            "{text}"
        );
        let (status, text) = http(
            &addr,
            "POST",
            "/api/v1/teams",
            Some(&token),
            br#"{"name": "Billing"}"#,
        );
        assert_eq!(status, 201, "{url}: {text}");
        drop(server);
    }
    if let Some(pg) = pg {
        pg.drop().await;
    }
}

/// The batches 20 clients send: overlapping external ids (each id is sent by several
/// clients) and replies that thread into conversations other clients open.
fn overlapping_batches(clients: usize, rounds: usize) -> Vec<Vec<String>> {
    (0..clients)
        .map(|client| {
            (0..rounds)
                .map(|round| {
                    let items: Vec<String> = (0..40)
                        .map(|k| {
                            let n = (client * 17 + round * 29 + k) % 600;
                            let mut m = serde_json::json!({"channel": "x", "external_id": format!("m{n}"),
                                "author": {"external_id": format!("u{}", n % 90)},
                                "text": format!("message {n}: my order is late"),
                                "created_at": format!("2026-11-30T{:02}:{:02}:00Z", n / 60, n % 60)});
                            if n % 3 == 0 && n >= 3 {
                                m["in_reply_to"] = serde_json::json!(format!("m{}", n - 3));
                            }
                            m.to_string()
                        })
                        .collect();
                    format!("[{}]", items.join(","))
                })
                .collect()
        })
        .collect()
}

/// Posts every client's batches from its own thread; returns each request's status.
/// `answered` counts the requests that got an answer (or a dead connection) so far.
fn post_all(
    addr: &str,
    token: &str,
    batches: &[Vec<String>],
    stop: Option<&AtomicBool>,
    answered: &AtomicUsize,
) -> Vec<u16> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = batches
            .iter()
            .map(|client| {
                scope.spawn(move || {
                    let mut statuses = Vec::new();
                    for body in client {
                        if stop.is_some_and(|s| s.load(Ordering::SeqCst)) {
                            break;
                        }
                        statuses.push(
                            http(
                                addr,
                                "POST",
                                "/api/v1/messages",
                                Some(token),
                                body.as_bytes(),
                            )
                            .0,
                        );
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                    statuses
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

/// Every conversation of the workspace, through the API's pages.
fn all_conversations(addr: &str, token: &str, filter: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = format!("/api/v1/conversations?limit=200{filter}{cursor}");
        let (status, body) = http(addr, "GET", &path, Some(token), b"");
        assert_eq!(status, 200, "{body}");
        let page: serde_json::Value = serde_json::from_str(&body).unwrap();
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return out,
        }
    }
}

/// 20 clients POST overlapping batches to one `serve` with a routing rule; `serve` is killed
/// (SIGKILL) mid-load and restarted, and the clients send everything again. Every request
/// to the restarted server is accepted, every message is stored once, and every
/// conversation carries the rule's effects: nothing was stored without its decisions.
fn crash_mid_load_and_resend(dir: &Path, url: &str) {
    let token = earshot(
        dir,
        &[
            "--database",
            url,
            "token",
            "create",
            "--workspace",
            "default",
        ],
    );
    let token = String::from_utf8(token.stdout).unwrap().trim().to_string();
    let args = ["--database", url, "serve", "--bind", "127.0.0.1:0"];
    let (server, addr) = spawn(dir, &args, "listening on http://");
    let (status, team) = http(
        &addr,
        "POST",
        "/api/v1/teams",
        Some(&token),
        br#"{"name": "Front line"}"#,
    );
    assert_eq!(status, 201, "{team}");
    let team: serde_json::Value = serde_json::from_str(&team).unwrap();
    let rule = serde_json::json!({"name": "everything to the front line",
        "trigger": {"event": "message_received"},
        "actions": [{"type": "add_tag", "tag": "triaged"}, {"type": "assign_team", "team_id": team["id"]}]});
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/rules",
        Some(&token),
        rule.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    let batches = overlapping_batches(20, 8);

    // Kill the server while the clients are sending: once a quarter of the batches are
    // answered (counted, not timed, so a fast machine cannot finish first).
    let stop = AtomicBool::new(false);
    let answered = AtomicUsize::new(0);
    let sent: usize = batches.iter().map(Vec::len).sum();
    let statuses = std::thread::scope(|scope| {
        let senders = scope.spawn(|| post_all(&addr, &token, &batches, Some(&stop), &answered));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while answered.load(Ordering::SeqCst) < sent / 4 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        drop(server);
        stop.store(true, Ordering::SeqCst);
        senders.join().unwrap()
    });
    assert!(
        statuses.iter().all(|s| [0, 202].contains(s)),
        "before the kill every answer is 202 (0: the connection died): {statuses:?}"
    );
    assert!(
        statuses.iter().filter(|s| **s != 0).count() < sent,
        "the server died before every batch was in"
    );

    let (server, addr) = spawn(dir, &args, "listening on http://");
    let statuses = post_all(&addr, &token, &batches, None, &AtomicUsize::new(0));
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    let conversations = all_conversations(&addr, &token, "");
    let messages: i64 = conversations
        .iter()
        .map(|c| c["message_count"].as_i64().unwrap())
        .sum();
    let distinct: BTreeSet<String> = batches
        .iter()
        .flatten()
        .flat_map(|b| serde_json::from_str::<Vec<serde_json::Value>>(b).unwrap())
        .map(|m| m["external_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(messages, distinct.len() as i64, "each message stored once");
    let routed = all_conversations(&addr, &token, &format!("&team={}&tag=triaged", team["id"]));
    assert_eq!(
        routed.len(),
        conversations.len(),
        "every conversation has the rule's team and tag"
    );
    drop(server);
}

#[tokio::test]
async fn overlapping_writers_and_a_killed_server_lose_no_decision_on_either_database() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("crash.db").display());
    crash_mid_load_and_resend(dir.path(), &sqlite);
    if let Some(pg) = PgDatabase::create("crash").await {
        let url = pg.url.clone();
        let path = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || crash_mid_load_and_resend(&path, &url))
            .await
            .unwrap();
        pg.drop().await;
    }
}

/// [`http`] with any headers.
fn http_with(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return (0, String::new());
    };
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if stream.write_all(head.as_bytes()).is_err() {
        return (0, String::new());
    }
    // The server may answer (413) before reading a huge body; a reset while writing is fine.
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// A signed WhatsApp webhook body carrying one customer text message.
fn whatsapp_body(n: usize) -> Vec<u8> {
    serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000000", "phone_number_id": "111"},
        "contacts": [{"profile": {"name": format!("Customer {}", n % 50)}, "wa_id": format!("1555{:07}", n % 50)}],
        "messages": [{"from": format!("1555{:07}", n % 50), "id": format!("wamid.burst-{n}"),
                      "timestamp": chrono::Utc::now().timestamp().to_string(), "type": "text",
                      "text": {"body": format!("message {n}: where is my order?")}}]}}]}]})
    .to_string()
    .into_bytes()
}

/// 1,000 signed WhatsApp webhook calls to one `serve` from 10 clients; `serve` is killed
/// (SIGKILL) right after the last `200`, restarted, and Meta's redelivery of a hundred of them
/// arrives: every message that was answered `200` is stored exactly once.
#[test]
fn webhook_calls_answered_200_survive_a_kill_and_are_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("hooks.db").display());
    let token = earshot(
        dir.path(),
        &[
            "--database",
            &url,
            "token",
            "create",
            "--workspace",
            "default",
        ],
    );
    let token = String::from_utf8(token.stdout).unwrap().trim().to_string();
    let args = ["--database", url.as_str(), "serve", "--bind", "127.0.0.1:0"];
    let (server, addr) = spawn(dir.path(), &args, "listening on http://");
    let channel = serde_json::json!({"kind": "whatsapp", "name": "support", "settings": {
        "app_secret": "burst-secret", "verify_token": "v", "access_token": "t", "phone_number_id": "111"}});
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/channels",
        Some(&token),
        channel.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    let hook: serde_json::Value = serde_json::from_str(&body).unwrap();
    let path = hook["webhook_url"].as_str().unwrap().to_string();
    let post = |addr: &str, n: usize| {
        let body = whatsapp_body(n);
        let signature = earshot_channels::webhook::meta_signature("burst-secret", &body);
        http_with(
            addr,
            "POST",
            &path,
            &[("X-Hub-Signature-256", &signature)],
            &body,
        )
        .0
    };
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|c| {
                let (addr, post) = (&addr, &post);
                scope.spawn(move || {
                    (0..100)
                        .map(|i| post(addr, c * 100 + i))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    drop(server);
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");

    // How many were still waiting when the process died (for the record; any number is fine).
    let waiting = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = earshot_store::open(&url).await.unwrap();
        store.pending_webhooks(0, 2_000).await.unwrap().len()
    });
    eprintln!("{waiting} of 1000 accepted calls were not processed yet when serve was killed");

    let (_server, addr) = spawn(dir.path(), &args, "listening on http://");
    for n in 0..100 {
        assert_eq!(post(&addr, n * 7 % 1000), 200, "redelivery {n}");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let stored: i64 = all_conversations(&addr, &token, "")
            .iter()
            .map(|c| c["message_count"].as_i64().unwrap())
            .sum();
        if stored == 1000 {
            break;
        }
        assert!(
            stored < 1000,
            "{stored} messages stored: some more than once"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "only {stored} of 1000 stored after the restart"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // Redeliveries still being processed must not add any.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let stored: i64 = all_conversations(&addr, &token, "")
        .iter()
        .map(|c| c["message_count"].as_i64().unwrap())
        .sum();
    assert_eq!(stored, 1000);
    assert_eq!(
        all_conversations(&addr, &token, "&channel=whatsapp").len(),
        50,
        "one conversation per customer"
    );
}

/// An mbox of a customer's mail, the care team's answer and the customer's reply: one
/// conversation, the answer outbound, the quoted history trimmed from what the inbox shows.
#[tokio::test]
async fn an_mbox_threads_replies_by_their_headers() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = "From dana@example.com Tue Dec  1 09:00:00 2026\n\
From: Dana <dana@example.com>\nTo: care@acme.test\nSubject: Order A-1042\nDate: Tue, 01 Dec 2026 09:00:00 +0000\n\
Message-ID: <m1@example.com>\n\nMy order never arrived.\n\n\
From care@acme.test Tue Dec  1 09:30:00 2026\n\
From: Acme Care <care@acme.test>\nTo: dana@example.com\nSubject: Re: Order A-1042\nDate: Tue, 01 Dec 2026 09:30:00 +0000\n\
Message-ID: <m2@acme.test>\nIn-Reply-To: <m1@example.com>\nReferences: <m1@example.com>\n\nWe are on it.\n\n\
From dana@example.com Tue Dec  1 10:00:00 2026\n\
From: Dana <dana@example.com>\nTo: care@acme.test\nSubject: Re: Order A-1042\nDate: Tue, 01 Dec 2026 10:00:00 +0000\n\
Message-ID: <m3@example.com>\nReferences: <m1@example.com> <m2@acme.test>\n\nThanks!\n\nOn Tue, Dec 1, 2026 Acme Care wrote:\n> We are on it.\n";
    let input = dir.path().join("care.mbox");
    std::fs::write(&input, mbox).unwrap();
    let url = format!("sqlite://{}", dir.path().join("mail.db").display());
    let out = earshot(
        dir.path(),
        &[
            "--database",
            &url,
            "ingest",
            input.to_str().unwrap(),
            "--account",
            "care@acme.test",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        summary(&out)["stored"],
        3,
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let store = earshot_store::open(&url).await.unwrap();
    let ws = store
        .workspace_by_name("default")
        .await
        .unwrap()
        .unwrap()
        .id;
    let get = |id: &'static str| {
        let store = store.clone();
        async move {
            store
                .message_by_external_id(ws, ChannelKind::Email, "care@acme.test", id)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let (a, b, c) = (
        get("m1@example.com").await,
        get("m2@acme.test").await,
        get("m3@example.com").await,
    );
    assert_eq!(
        (a.conversation_id, b.conversation_id),
        (c.conversation_id, c.conversation_id)
    );
    assert_eq!(b.direction, earshot_core::Direction::Out);
    assert_eq!(c.text, "Thanks!");
}

/// Real mail servers for a test: Dovecot (IMAP, a `care` mailbox in a maildir) and aiosmtpd
/// (SMTP, every mail it receives kept in a maildir), on free ports, stopped when dropped.
/// `scripts/install-test-deps` installs both; outside CI a machine without them skips, loudly.
struct MailServers {
    dir: tempfile::TempDir,
    imap_port: u16,
    smtp_port: u16,
    children: Vec<Running>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl MailServers {
    fn start() -> Option<Self> {
        let python = "/usr/bin/python3";
        let have_aiosmtpd = Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
        if !Path::new("/usr/sbin/dovecot").exists() || !have_aiosmtpd {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must have dovecot-imapd and python3-aiosmtpd (scripts/install-test-deps)"
            );
            eprintln!(
                "SKIPPED: the mail servers (dovecot-imapd, python3-aiosmtpd) are not installed"
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for sub in [
            "run",
            "state",
            "mail/care/new",
            "mail/care/cur",
            "mail/care/tmp",
            "smtp/new",
            "smtp/cur",
            "smtp/tmp",
        ] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        let status = Command::new("chown")
            .args(["-R", "nobody:nogroup"])
            .arg(d.join("mail"))
            .status()
            .unwrap();
        assert!(status.success(), "chown the maildir for dovecot");
        std::fs::write(d.join("users"), "care:{PLAIN}care-pass::::::\n").unwrap();
        let (imap_port, smtp_port) = (free_port(), free_port());
        let p = |s: &str| d.join(s).display().to_string();
        let conf = format!(
            "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {run}\nstate_dir = {state}\nlog_path = {log}\n\
             ssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\nmail_location = maildir:{mail}/%u\n\
             mailbox_idle_check_interval = 1 secs\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {users}\n}}\n\
             userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={mail}/%u\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    port = {imap_port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n  chroot =\n}}\n\
             service anvil {{\n  chroot =\n}}\n",
            run = p("run"), state = p("state"), log = p("dovecot.log"), mail = p("mail"), users = p("users"),
        );
        std::fs::write(d.join("dovecot.conf"), conf).unwrap();
        let quiet = |c: &mut Command| {
            c.stdout(Stdio::null()).stderr(Stdio::null());
        };
        let mut dovecot = Command::new("/usr/sbin/dovecot");
        dovecot.args(["-F", "-c"]).arg(d.join("dovecot.conf"));
        quiet(&mut dovecot);
        let mut smtp = Command::new(python);
        smtp.args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{smtp_port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(d.join("smtp"));
        quiet(&mut smtp);
        let children = vec![
            Running(dovecot.spawn().unwrap()),
            Running(smtp.spawn().unwrap()),
        ];
        for port in [imap_port, smtp_port] {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "mail server on {port} did not start"
                );
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        Some(Self {
            dir,
            imap_port,
            smtp_port,
            children,
        })
    }

    /// Delivers a mail into the `care` mailbox, as the MTA would.
    fn deliver(&self, name: &str, mail: &str) {
        let tmp = self.dir.path().join("mail/care/tmp").join(name);
        std::fs::write(&tmp, mail).unwrap();
        std::fs::rename(&tmp, self.dir.path().join("mail/care/new").join(name)).unwrap();
    }

    /// Every mail the SMTP server received.
    fn sent(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.dir.path().join("smtp").join(sub)) {
                for e in entries {
                    out.push(std::fs::read_to_string(e.unwrap().path()).unwrap());
                }
            }
        }
        out
    }
}

impl Drop for MailServers {
    fn drop(&mut self) {
        self.children.clear();
    }
}

fn customer_mail(id: &str, text: &str) -> String {
    format!(
        "From: Dana Ruiz <dana@example.com>\r\nTo: care@acme.test\r\nSubject: Order A-1042\r\n\
         Date: {}\r\nMessage-ID: <{id}>\r\n\r\n{text}\r\n",
        chrono::Utc::now().to_rfc2822()
    )
}

/// Waits until the workspace holds `n` messages; fails after `secs`.
fn wait_for_messages(addr: &str, token: &str, n: i64, secs: u64) -> Vec<serde_json::Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let all = all_conversations(addr, token, "&channel=email");
        let count: i64 = all
            .iter()
            .map(|c| c["message_count"].as_i64().unwrap())
            .sum();
        if count >= n {
            assert_eq!(count, n, "exactly {n} messages, none twice");
            return all;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{count} of {n} messages after {secs} s"
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// An email channel against real servers: a mail dropped into the IMAP mailbox is fetched
/// once, within seconds although the channel polls hourly (IMAP IDLE woke the poller); the agent's reply reaches the SMTP server threaded (`In-Reply-To`, `References`);
/// a mail that arrives while `serve` is down is fetched after the restart, and nothing twice.
#[test]
fn an_email_channel_reads_imap_once_across_a_restart_and_answers_through_smtp() {
    let Some(mail) = MailServers::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("mail.db").display());
    let token = earshot(
        dir.path(),
        &[
            "--database",
            &url,
            "token",
            "create",
            "--workspace",
            "default",
        ],
    );
    let token = String::from_utf8(token.stdout).unwrap().trim().to_string();
    let args = ["--database", url.as_str(), "serve", "--bind", "127.0.0.1:0"];
    let (server, addr) = spawn(dir.path(), &args, "listening on http://");
    let channel = serde_json::json!({"kind": "email", "name": "care@acme.test", "settings": {
        "imap_url": format!("imap://care:care-pass@127.0.0.1:{}/INBOX", mail.imap_port),
        "smtp_url": format!("smtp://127.0.0.1:{}", mail.smtp_port),
        // Polled at start and then hourly: the mail below arrives through IMAP IDLE.
        "address": "care@acme.test", "poll_seconds": "3600"}});
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/channels",
        Some(&token),
        channel.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    let ch: serde_json::Value = serde_json::from_str(&body).unwrap();
    let (_, test) = http(
        &addr,
        "POST",
        &format!("/api/v1/channels/{}/test", ch["id"]),
        Some(&token),
        b"{}",
    );
    assert!(test.contains("\"ok\":true"), "{test}");

    // The poller's first read of the (empty) mailbox is over by now; the next is an hour
    // away, so only IDLE can bring this mail in.
    std::thread::sleep(std::time::Duration::from_secs(3));
    mail.deliver(
        "1.eml",
        &customer_mail("m1@example.com", "My order never arrived."),
    );
    let delivered = std::time::Instant::now();
    let conversations = wait_for_messages(&addr, &token, 1, 30);
    eprintln!(
        "mail fetched {} ms after delivery",
        delivered.elapsed().as_millis()
    );
    let id = conversations[0]["id"].as_i64().unwrap();
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/agents",
        Some(&token),
        br#"{"name": "Ana", "email": "ana@acme.test"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let agent: serde_json::Value = serde_json::from_str(&body).unwrap();
    let reply =
        serde_json::json!({"text": "Sorry, Dana, we are checking.", "agent_id": agent["id"]});
    let (status, body) = http(
        &addr,
        "POST",
        &format!("/api/v1/conversations/{id}/reply"),
        Some(&token),
        reply.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    // The timer worker sends it within its 5-second tick.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while mail.sent().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the reply never reached the SMTP server: {}",
            http(&addr, "GET", "/api/v1/outbox", Some(&token), b"").1
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    let sent = &mail.sent()[0];
    for header in [
        "In-Reply-To: <m1@example.com>",
        "References: <m1@example.com>",
        "To: dana@example.com",
        "Subject: Re: Order A-1042",
    ] {
        assert!(sent.contains(header), "{header} missing from\n{sent}");
    }
    assert!(sent.contains("Sorry, Dana, we are checking."));
    drop(server);

    // While Earshot is down, Dana answers the reply.
    let reply_id = sent
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .unwrap()
        .trim()
        .to_string();
    let answer = customer_mail("m2@example.com", "Thanks, any news?").replace(
        "Message-ID: <m2@example.com>",
        &format!("Message-ID: <m2@example.com>\r\nIn-Reply-To: {reply_id}"),
    );
    mail.deliver("2.eml", &answer);
    let (_server, addr) = spawn(dir.path(), &args, "listening on http://");
    let conversations = wait_for_messages(&addr, &token, 3, 30);
    assert_eq!(
        conversations.len(),
        1,
        "the answer joined the conversation: {conversations:?}"
    );
    // Polls after that fetch nothing again.
    std::thread::sleep(std::time::Duration::from_secs(3));
    wait_for_messages(&addr, &token, 3, 1);
}

/// `earshot privacy export`: everything held about one contact, as JSON with a summary; an
/// unknown contact is a clear error.
#[test]
fn privacy_export_prints_everything_held_about_a_contact() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("dm.jsonl");
    std::fs::write(
        &input,
        concat!(
            r#"{"channel":"whatsapp","external_id":"wamid.1","visibility":"private","author":{"external_id":"15550001","handle":"+15550001","display_name":"Dana Ruiz"},"text":"My order A-1042 never arrived","created_at":"2026-11-30T10:00:00Z"}"#,
            "\n"
        ),
    )
    .unwrap();
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    let out = earshot(
        dir.path(),
        &["--database", &url, "ingest", input.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let args = |contact: &str| {
        vec![
            "--database".to_string(),
            url.clone(),
            "privacy".into(),
            "export".into(),
            "--workspace".into(),
            "default".into(),
            "--contact".into(),
            contact.into(),
        ]
    };
    let run = |contact: &str| {
        let a = args(contact);
        earshot(
            dir.path(),
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    let out = run("1");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["summary"]
            .as_str()
            .unwrap()
            .starts_with("Everything Earshot holds about Dana Ruiz"),
        "{}",
        doc["summary"]
    );
    assert_eq!(
        doc["conversations"][0]["messages"][0]["text"],
        "My order A-1042 never arrived"
    );
    let missing = run("999");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("has no contact 999"));
}

#[test]
fn importing_orders_names_every_bad_line_and_imports_nothing_then_a_good_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("orders.db").display());
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "id,number,email,placed_at,amount,currency,status,items\n\
         1001,#1001,dana@example.com,2026-11-20,120.00,USD,paid,Blue mug x2\n\
         1002,#1002,dana@example.com,2026-11-21,-4.00,USD,paid,\n\
         1003,#1003,fox@example.com,2026-11-22,10.00,XYZ,paid,\n",
    )
    .unwrap();
    let out = earshot(
        dir.path(),
        &[
            "--database",
            &db,
            "import",
            "orders",
            bad.to_str().unwrap(),
            "--workspace",
            "acme",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("2 bad lines; nothing was imported"),
        "{stderr}"
    );
    assert!(stderr.contains("line 3: amount"), "{stderr}");
    assert!(stderr.contains("line 4: currency"), "{stderr}");

    let good = dir.path().join("orders.jsonl");
    std::fs::write(
        &good,
        "{\"id\": \"1001\", \"email\": \"dana@example.com\", \"placed_at\": \"2026-11-20\", \"amount\": \"120.00\", \"currency\": \"USD\"}\n\
         \n\
         {\"id\": \"1002\", \"email\": \"fox@example.com\", \"placed_at\": \"2026-11-21\", \"amount\": 9.5, \"currency\": \"EUR\", \"status\": \"refunded\"}\n",
    )
    .unwrap();
    let args = [
        "--database",
        &db,
        "import",
        "orders",
        good.to_str().unwrap(),
        "--workspace",
        "acme",
    ];
    let out = earshot(dir.path(), &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("2 orders read; 2 new, 0 updated, 0 unchanged"),
        "{stdout}"
    );
    let again = earshot(dir.path(), &args);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(stdout.contains("0 new, 0 updated, 2 unchanged"), "{stdout}");
}

/// One request a stand-in platform API received.
#[derive(Debug, Clone)]
struct ApiCall {
    method: String,
    path: String,
    /// Header names lowercased.
    headers: HashMap<String, String>,
    /// The body as JSON (`Null` when it is not JSON) and as text.
    body: serde_json::Value,
    text: String,
}

/// How a stand-in platform answers its `n`th request: status and JSON body.
type Answer = fn(&ApiCall, usize) -> (u16, serde_json::Value);

/// One HTTP/1.1 request read from `stream`: its line, headers and body.
fn read_request(stream: &TcpStream) -> ApiCall {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 {
            break;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or((header, ""));
        headers.insert(name.to_ascii_lowercase(), value.trim().to_string());
    }
    let length = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    ApiCall {
        method,
        path,
        headers,
        body: serde_json::from_slice(&body).unwrap_or_default(),
        text: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A fresh SQLite database in `dir` named `db`, a token for its `default` workspace and
/// `serve` running on it: (the server, its address, the token, the `serve` arguments' url).
fn serve_with_token(dir: &Path, db: &str) -> (Running, String, String, String) {
    let url = format!("sqlite://{}", dir.join(db).display());
    let token = earshot(
        dir,
        &[
            "--database",
            &url,
            "token",
            "create",
            "--workspace",
            "default",
        ],
    );
    let token = String::from_utf8(token.stdout).unwrap().trim().to_string();
    let (server, addr) = spawn(
        dir,
        &["--database", &url, "serve", "--bind", "127.0.0.1:0"],
        "listening on http://",
    );
    (server, addr, token, url)
}

/// A local stand-in for a platform's API on its own port, answering each request with
/// `answer` (one request per connection) and keeping what it received.
fn fake_api(answer: Answer) -> (String, std::sync::Arc<std::sync::Mutex<Vec<ApiCall>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let calls: std::sync::Arc<std::sync::Mutex<Vec<ApiCall>>> = Default::default();
    let seen = calls.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let call = read_request(&stream);
            let (status, answer) = answer(&call, n);
            seen.lock().unwrap().push(call);
            let answer = answer.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (base, calls)
}

/// The X API v2 as documented: `POST /2/tweets` answers `{"data": {"id", "text"}}`, `POST
/// /2/dm_conversations/with/{id}/messages` answers `{"data": {"dm_conversation_id",
/// "dm_event_id"}}`; a request without an OAuth 1.0a header is `401`.
fn x_api_answer(call: &ApiCall, n: usize) -> (u16, serde_json::Value) {
    let id = format!("19000000000000000{n:02}");
    let authorization = call.headers.get("authorization").map_or("", String::as_str);
    if !authorization.starts_with("OAuth ") {
        (
            401,
            serde_json::json!({"title": "Unauthorized", "detail": "Unauthorized", "status": 401}),
        )
    } else if call.path == "/2/tweets" {
        (
            201,
            serde_json::json!({"data": {"id": id, "text": call.body["text"]}}),
        )
    } else if call.path.starts_with("/2/dm_conversations/with/") {
        (
            201,
            serde_json::json!({"data": {"dm_conversation_id": "7-100", "dm_event_id": id}}),
        )
    } else {
        (404, serde_json::json!({"title": "Not Found Error"}))
    }
}

/// Messages on the workspace's `channel` conversations, once there are `n`; fails after 30 s
/// or when there are more.
fn wait_for_channel_messages(
    addr: &str,
    token: &str,
    channel: &str,
    n: i64,
) -> Vec<serde_json::Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let all = all_conversations(addr, token, &format!("&channel={channel}"));
        let count: i64 = all
            .iter()
            .map(|c| c["message_count"].as_i64().unwrap())
            .sum();
        assert!(
            count <= n,
            "{count} messages, expected {n}: some stored twice"
        );
        if count == n {
            return all;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{count} of {n} messages after 30 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// An X channel against a running `serve` and a local stand-in for the X API: the CRC is
/// answered with the documented HMAC; a signed Account Activity delivery is stored once
/// however often it comes, and one with a wrong signature is refused (`401`) with nothing
/// stored; an agent's reply reaches the X API as `POST /2/tweets` answering the customer's
/// tweet, signed with OAuth 1.0a; X's echo of that reply is not stored a second time, and a
/// reply the brand wrote in X's own app joins the conversation as the brand's.
#[test]
fn an_x_channel_answers_the_crc_takes_signed_activity_once_and_replies_through_the_x_api() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, addr, token, _) = serve_with_token(dir.path(), "x.db");
    let (api, calls) = fake_api(x_api_answer);
    let secret = "x-consumer-secret";
    let channel = serde_json::json!({"kind": "x", "name": "acmecare", "settings": {
        "consumer_key": "ck", "consumer_secret": secret, "access_token": "100-at",
        "access_token_secret": "ats", "api_base": api}});
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/channels",
        Some(&token),
        channel.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    let hook: serde_json::Value = serde_json::from_str(&body).unwrap();
    let path = hook["webhook_url"].as_str().unwrap().to_string();
    assert!(!body.contains(secret), "secrets are never returned: {body}");

    // The CRC: X's documented answer for this token and secret.
    let (status, body) = http(
        &addr,
        "GET",
        &format!("{path}?crc_token=challenge-1"),
        None,
        b"",
    );
    assert_eq!(status, 200, "{body}");
    let crc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        crc["response_token"],
        earshot_channels::x_activity::crc_response(secret, "challenge-1")
    );

    let mention = serde_json::json!({"for_user_id": "100", "tweet_create_events": [{
        "id_str": "555", "created_at": "Wed Dec 02 10:00:00 +0000 2026",
        "text": "@acmecare my parcel never arrived", "in_reply_to_status_id_str": null,
        "user": {"id_str": "7", "screen_name": "dana", "name": "Dana Ruiz", "followers_count": 310}}]})
    .to_string();
    let post = |body: &str, signature: &str| {
        http_with(
            &addr,
            "POST",
            &path,
            &[("x-twitter-webhooks-signature", signature)],
            body.as_bytes(),
        )
        .0
    };
    let good = earshot_channels::x_activity::signature(secret, mention.as_bytes());
    let forged = earshot_channels::x_activity::signature("not-the-secret", mention.as_bytes());
    assert_eq!(post(&mention, &forged), 401, "a wrong signature is refused");
    assert_eq!(post(&mention, &good), 200);
    assert_eq!(post(&mention, &good), 200, "X redelivers");
    let conversations = wait_for_channel_messages(&addr, &token, "x", 1);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let conversations = {
        let again = wait_for_channel_messages(&addr, &token, "x", 1);
        assert_eq!(again.len(), conversations.len());
        again
    };
    let id = conversations[0]["id"].as_i64().unwrap();

    // The agent answers; the timer worker sends it to X within its tick.
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/agents",
        Some(&token),
        br#"{"name": "Ana", "email": "ana@acme.test"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let agent: serde_json::Value = serde_json::from_str(&body).unwrap();
    let reply =
        serde_json::json!({"text": "@dana so sorry, Dana: we are on it", "agent_id": agent["id"]});
    let (status, body) = http(
        &addr,
        "POST",
        &format!("/api/v1/conversations/{id}/reply"),
        Some(&token),
        reply.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while calls.lock().unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the reply never reached the X API: {}",
            http(&addr, "GET", "/api/v1/outbox", Some(&token), b"").1
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let sent = calls.lock().unwrap()[0].clone();
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("POST", "/2/tweets")
    );
    assert_eq!(sent.body["reply"]["in_reply_to_tweet_id"], "555");
    assert_eq!(sent.body["text"], "@dana so sorry, Dana: we are on it");
    for field in [
        "oauth_consumer_key=\"ck\"",
        "oauth_token=\"100-at\"",
        "oauth_signature_method=\"HMAC-SHA1\"",
        "oauth_signature=",
    ] {
        let authorization = &sent.headers["authorization"];
        assert!(
            authorization.contains(field),
            "{field} missing from {authorization}"
        );
    }
    let tweet_id = "1900000000000000000";
    // The outbox says what X accepted.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, outbox) = http(&addr, "GET", "/api/v1/outbox", Some(&token), b"");
        if outbox.contains(tweet_id) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{outbox}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    // X echoes the brand's tweet back, and the brand also answers from X's own app.
    let echo = serde_json::json!({"for_user_id": "100", "tweet_create_events": [
        {"id_str": tweet_id, "created_at": "Wed Dec 02 10:05:00 +0000 2026",
         "text": "@dana so sorry, Dana: we are on it", "in_reply_to_status_id_str": "555",
         "user": {"id_str": "100", "screen_name": "acmecare"}},
        {"id_str": "777", "created_at": "Wed Dec 02 10:06:00 +0000 2026",
         "text": "@dana a courier is on the way", "in_reply_to_status_id_str": "555",
         "user": {"id_str": "100", "screen_name": "acmecare"}}]})
    .to_string();
    let signature = earshot_channels::x_activity::signature(secret, echo.as_bytes());
    assert_eq!(post(&echo, &signature), 200);
    let conversations = wait_for_channel_messages(&addr, &token, "x", 3);
    assert_eq!(
        conversations.len(),
        1,
        "the brand's answers joined the customer's conversation"
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    wait_for_channel_messages(&addr, &token, "x", 3);

    // Dana follows up by DM: it continues her open conversation, and the answer to her
    // newest message, a private one, goes as a DM.
    let dm = serde_json::json!({"for_user_id": "100", "direct_message_events": [{
        "type": "message_create", "id": "954491830116155396", "created_timestamp": "1796206200000",
        "message_create": {"target": {"recipient_id": "100"}, "sender_id": "7",
          "message_data": {"text": "my order number is A-1042"}}}],
        "users": {"7": {"id": "7", "screen_name": "dana", "name": "Dana Ruiz", "followers_count": 310}}})
    .to_string();
    let signature = earshot_channels::x_activity::signature(secret, dm.as_bytes());
    assert_eq!(post(&dm, &signature), 200);
    let conversations = wait_for_channel_messages(&addr, &token, "x", 4);
    assert_eq!(conversations.len(), 1, "{conversations:?}");
    let private = &conversations[0];
    let reply =
        serde_json::json!({"text": "Thanks Dana, checking A-1042 now", "agent_id": agent["id"]});
    let (status, body) = http(
        &addr,
        "POST",
        &format!("/api/v1/conversations/{}/reply", private["id"]),
        Some(&token),
        reply.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let sent = loop {
        if let Some(c) = calls
            .lock()
            .unwrap()
            .iter()
            .find(|c| c.path.starts_with("/2/dm_conversations/"))
        {
            break c.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the DM never reached the X API"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(sent.path, "/2/dm_conversations/with/7/messages");
    assert_eq!(sent.body["text"], "Thanks Dana, checking A-1042 now");
    assert!(sent.headers["authorization"].starts_with("OAuth "));
}

/// Discourse's `POST /posts.json` as documented: the new post with its `id`, `topic_id` and
/// `post_number`; a wrong `Api-Key` is `403` with `invalid_access`.
fn discourse_answer(call: &ApiCall, _n: usize) -> (u16, serde_json::Value) {
    if call.headers.get("api-key").map(String::as_str) != Some("forum-key") {
        return (
            403,
            serde_json::json!({"errors": ["You are not permitted to view the requested resource."], "error_type": "invalid_access"}),
        );
    }
    if call.method == "POST" && call.path == "/posts.json" {
        let n = call.body["reply_to_post_number"].as_i64().unwrap_or(1) + 1;
        return (
            200,
            serde_json::json!({"id": 901, "topic_id": call.body["topic_id"], "post_number": n,
            "username": call.headers["api-username"], "raw": call.body["raw"]}),
        );
    }
    (
        404,
        serde_json::json!({"errors": ["not found"], "error_type": "not_found"}),
    )
}

/// A Discourse forum against a running `serve` and a local stand-in for its API: a signed
/// `post_created` webhook opens a conversation once however often it comes, a wrong
/// signature is refused with nothing stored, and the agent's reply reaches `POST /posts.json`
/// in the customer's topic, answering their post, as the channel's API user.
#[test]
fn a_discourse_forum_takes_signed_posts_once_and_replies_in_the_topic() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, addr, token, _) = serve_with_token(dir.path(), "forum.db");
    let (forum, calls) = fake_api(discourse_answer);
    let channel = serde_json::json!({"kind": "discourse", "name": "community", "settings": {
        "base_url": forum, "api_key": "forum-key", "api_username": "acme_care", "webhook_secret": "hook-secret"}});
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/channels",
        Some(&token),
        channel.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    let hook: serde_json::Value = serde_json::from_str(&body).unwrap();
    let path = hook["webhook_url"].as_str().unwrap().to_string();

    let post =
        serde_json::json!({"post": {"id": 40, "topic_id": 12, "post_number": 1, "post_type": 1,
        "username": "dana", "name": "Dana Ruiz", "created_at": "2026-12-02T10:00:00.000Z",
        "raw": "The app crashes whenever I open my orders", "topic_archetype": "regular"}})
        .to_string();
    let send = |signature: &str| {
        http_with(
            &addr,
            "POST",
            &path,
            &[
                ("X-Discourse-Event", "post_created"),
                ("X-Discourse-Event-Signature", signature),
            ],
            post.as_bytes(),
        )
        .0
    };
    let good = earshot_channels::webhook::meta_signature("hook-secret", post.as_bytes());
    let forged = earshot_channels::webhook::meta_signature("other", post.as_bytes());
    assert_eq!(send(&forged), 401);
    assert_eq!(send(&good), 200);
    assert_eq!(send(&good), 200, "Discourse retries");
    let conversations = wait_for_channel_messages(&addr, &token, "discourse", 1);
    std::thread::sleep(std::time::Duration::from_millis(500));
    wait_for_channel_messages(&addr, &token, "discourse", 1);
    let id = conversations[0]["id"].as_i64().unwrap();

    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/agents",
        Some(&token),
        br#"{"name": "Ana", "email": "ana@acme.test"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let agent: serde_json::Value = serde_json::from_str(&body).unwrap();
    let reply = serde_json::json!({"text": "Thanks Dana, a fix ships with tomorrow's release.", "agent_id": agent["id"]});
    let (status, body) = http(
        &addr,
        "POST",
        &format!("/api/v1/conversations/{id}/reply"),
        Some(&token),
        reply.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while calls.lock().unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the reply never reached the forum: {}",
            http(&addr, "GET", "/api/v1/outbox", Some(&token), b"").1
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let sent = calls.lock().unwrap()[0].clone();
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("POST", "/posts.json")
    );
    assert_eq!(sent.body["topic_id"], 12);
    assert_eq!(sent.body["reply_to_post_number"], 1);
    assert_eq!(
        sent.body["raw"],
        "Thanks Dana, a fix ships with tomorrow's release."
    );
    assert_eq!(sent.headers["api-username"], "acme_care");
    // The post Discourse made is the reply's platform id; its webhook echo is not stored again.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, outbox) = http(&addr, "GET", "/api/v1/outbox", Some(&token), b"");
        if outbox.contains("12/2") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{outbox}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let echo = serde_json::json!({"post": {"id": 901, "topic_id": 12, "post_number": 2, "post_type": 1,
        "username": "acme_care", "created_at": "2026-12-02T10:05:00.000Z", "reply_to_post_number": 1,
        "raw": "Thanks Dana, a fix ships with tomorrow's release.", "topic_archetype": "regular"}})
    .to_string();
    let signature = earshot_channels::webhook::meta_signature("hook-secret", echo.as_bytes());
    assert_eq!(
        http_with(
            &addr,
            "POST",
            &path,
            &[("X-Discourse-Event-Signature", &signature)],
            echo.as_bytes()
        )
        .0,
        200
    );
    std::thread::sleep(std::time::Duration::from_secs(1));
    let conversations = wait_for_channel_messages(&addr, &token, "discourse", 2);
    assert_eq!(conversations.len(), 1);
}

/// A Mastodon instance's API as documented: `GET /api/v1/notifications` (a direct mention
/// of the brand, then nothing newer than it), `POST /api/v1/statuses` (the new status); a
/// request without the channel's bearer token is `401`.
fn mastodon_answer(call: &ApiCall, _n: usize) -> (u16, serde_json::Value) {
    if call.headers.get("authorization").map(String::as_str) != Some("Bearer masto-token") {
        return (
            401,
            serde_json::json!({"error": "The access token is invalid"}),
        );
    }
    if call.method == "GET" && call.path.starts_with("/api/v1/notifications") {
        if call.path.contains("min_id=") {
            return (200, serde_json::json!([]));
        }
        return (
            200,
            serde_json::json!([{"id": "100", "type": "mention", "created_at": "2026-12-02T10:00:00.000Z",
            "account": {"id": "9", "acct": "dana@example.social"},
            "status": {"id": "555", "created_at": "2026-12-02T10:00:00.000Z", "visibility": "direct",
              "in_reply_to_id": null, "content": "<p>@acme my parcel never arrived</p>",
              "account": {"id": "9", "acct": "dana@example.social", "display_name": "Dana", "followers_count": 12}}}]),
        );
    }
    if call.method == "POST" && call.path == "/api/v1/statuses" {
        return (
            200,
            serde_json::json!({"id": "900", "visibility": call.body["visibility"], "content": call.body["status"]}),
        );
    }
    (404, serde_json::json!({"error": "Record not found"}))
}

/// A Mastodon account against a running `serve` and a local stand-in instance: its mentions
/// are polled and stored once, across a restart (the cursor is kept); the agent's reply is
/// posted answering the customer's status, mentioning them, with their visibility and an
/// `Idempotency-Key`.
#[test]
fn a_mastodon_account_is_polled_once_across_a_restart_and_answered_in_kind() {
    let dir = tempfile::tempdir().unwrap();
    let (server, addr, token, url) = serve_with_token(dir.path(), "masto.db");
    let args = ["--database", url.as_str(), "serve", "--bind", "127.0.0.1:0"];
    let (instance, calls) = fake_api(mastodon_answer);
    let channel = serde_json::json!({"kind": "mastodon", "name": "acme", "settings": {
        "instance_url": instance, "access_token": "masto-token", "poll_seconds": "1"}});
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/channels",
        Some(&token),
        channel.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    let conversations = wait_for_channel_messages(&addr, &token, "mastodon", 1);
    let id = conversations[0]["id"].as_i64().unwrap();
    // The channel says what it last did; one whose token the instance refuses says why.
    let channel: serde_json::Value = serde_json::from_str(&body).unwrap();
    let path = format!("/api/v1/channels/{}", channel["id"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let shown = loop {
        let (_, shown) = http(&addr, "GET", &path, Some(&token), b"");
        let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
        if shown["activity"]["last_poll_at"].is_string() {
            break shown;
        }
        assert!(std::time::Instant::now() < deadline, "{shown}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(shown["connected"], true, "{shown}");
    assert!(shown["activity"]["last_poll_at"].is_string(), "{shown}");
    assert!(shown["activity"]["last_event_at"].is_string(), "{shown}");
    assert!(shown["activity"]["last_error"].is_null(), "{shown}");
    let refused = serde_json::json!({"kind": "mastodon", "name": "old", "settings": {
        "instance_url": instance, "access_token": "revoked", "poll_seconds": "1"}});
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/channels",
        Some(&token),
        refused.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    let refused: serde_json::Value = serde_json::from_str(&body).unwrap();
    let path = format!("/api/v1/channels/{}", refused["id"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let (_, shown) = http(&addr, "GET", &path, Some(&token), b"");
        let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
        if shown["connected"] == false {
            let error = shown["activity"]["last_error"].as_str().unwrap_or("");
            assert!(error.contains("access token is invalid"), "{shown}");
            assert_eq!(shown["status"], "needs_reauth");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{shown}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    drop(server);

    let (_server, addr) = spawn(dir.path(), &args, "listening on http://");
    std::thread::sleep(std::time::Duration::from_secs(3));
    wait_for_channel_messages(&addr, &token, "mastodon", 1);
    assert!(
        calls
            .lock()
            .unwrap()
            .iter()
            .any(|c| c.path.contains("min_id=100")),
        "after the restart it asks only for what is newer than the cursor"
    );

    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/agents",
        Some(&token),
        br#"{"name": "Ana", "email": "ana@acme.test"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let agent: serde_json::Value = serde_json::from_str(&body).unwrap();
    let reply = serde_json::json!({"text": "so sorry, we are on it", "agent_id": agent["id"]});
    let (status, body) = http(
        &addr,
        "POST",
        &format!("/api/v1/conversations/{id}/reply"),
        Some(&token),
        reply.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let posted = loop {
        if let Some(c) = calls.lock().unwrap().iter().find(|c| c.method == "POST") {
            break c.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the reply never reached the instance: {}",
            http(&addr, "GET", "/api/v1/outbox", Some(&token), b"").1
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(posted.path, "/api/v1/statuses");
    assert_eq!(posted.body["in_reply_to_id"], "555");
    assert_eq!(
        posted.body["visibility"], "direct",
        "the customer's visibility"
    );
    assert_eq!(
        posted.body["status"],
        "@dana@example.social so sorry, we are on it"
    );
    assert!(
        posted
            .headers
            .get("idempotency-key")
            .is_some_and(|k| k.starts_with("earshot-outbox-")),
        "{:?}",
        posted.headers
    );
}

/// Reddit's OAuth2 API as documented: the password grant at `/api/v1/access_token` (HTTP
/// Basic with the app's id and secret), `/message/inbox` (a mention and a private message),
/// `/api/comment` (the new comment's fullname in `json.data.things`); a request without
/// the bearer token Reddit issued is `401`.
fn reddit_answer(call: &ApiCall, _n: usize) -> (u16, serde_json::Value) {
    let auth = call.headers.get("authorization").map_or("", String::as_str);
    if call.path == "/api/v1/access_token" {
        // Basic base64("app-id:app-secret")
        if auth == "Basic YXBwLWlkOmFwcC1zZWNyZXQ="
            && call.text.contains("grant_type=password&username=acme_care")
        {
            return (
                200,
                serde_json::json!({"access_token": "reddit-token", "token_type": "bearer", "expires_in": 86400, "scope": "*"}),
            );
        }
        return (
            401,
            serde_json::json!({"message": "Unauthorized", "error": 401}),
        );
    }
    if auth != "Bearer reddit-token" {
        return (
            401,
            serde_json::json!({"message": "Unauthorized", "error": 401}),
        );
    }
    if call.path.starts_with("/message/inbox") {
        return (
            200,
            serde_json::json!({"kind": "Listing", "data": {"after": null, "children": [
            {"kind": "t4", "data": {"name": "t4_pm1", "author": "dana_r", "author_fullname": "t2_dana", "created_utc": 1764669660.0,
              "body": "my refund never came", "was_comment": false, "subject": "refund"}},
            {"kind": "t1", "data": {"name": "t1_mention1", "author": "dana_r", "author_fullname": "t2_dana", "created_utc": 1764669600.0,
              "body": "u/acme_care my parcel never arrived", "parent_id": "t3_post1", "was_comment": true, "type": "username_mention"}}]}}),
        );
    }
    if call.method == "POST" && call.path == "/api/comment" {
        return (
            200,
            serde_json::json!({"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": {"name": "t1_reply1", "id": "reply1"}}]}}}),
        );
    }
    // The subreddit a listening channel names: its search (newest first) and its comments.
    if call
        .path
        .starts_with("/r/gadgets/search?q=acme&restrict_sr=1&sort=new")
    {
        return (
            200,
            serde_json::json!({"kind": "Listing", "data": {"after": null, "children": [
            {"kind": "t3", "data": {"name": "t3_p2", "author": "lee", "created_utc": 1764669700.0, "subreddit": "gadgets",
              "title": "Acme X2 vs the rest: a comparison", "selftext": "Specs side by side.", "permalink": "/r/gadgets/comments/p2/"}},
            {"kind": "t3", "data": {"name": "t3_p1", "author": "kim", "created_utc": 1764669500.0, "subreddit": "gadgets",
              "title": "Acme X2 refund nightmare", "selftext": "Six weeks and no refund.", "permalink": "/r/gadgets/comments/p1/"}}]}}),
        );
    }
    if call.path.starts_with("/r/gadgets/comments?") {
        return (
            200,
            serde_json::json!({"kind": "Listing", "data": {"after": null, "children": [
            {"kind": "t1", "data": {"name": "t1_c3", "author": "acme_care", "created_utc": 1764669900.0, "parent_id": "t3_p1",
              "body": "Sorry to hear this, please DM us.", "link_id": "t3_p1"}},
            {"kind": "t1", "data": {"name": "t1_c2", "author": "sam", "created_utc": 1764669800.0, "parent_id": "t3_p1",
              "body": "u/acme_care can you look at this?", "link_id": "t3_p1"}},
            {"kind": "t1", "data": {"name": "t1_c1", "author": "ray", "created_utc": 1764669600.0, "parent_id": "t3_p1",
              "body": "Same here, my refund took two months.", "link_id": "t3_p1"}}]}}),
        );
    }
    (
        404,
        serde_json::json!({"message": "Not Found", "error": 404}),
    )
}

/// A Reddit account against a running `serve` and a local stand-in for Reddit's API: the
/// inbox is polled with the app's token and a User-Agent naming the account, its mention and
/// private message stored once (also across a restart), and the agent's reply commented
/// under the customer's comment.
#[test]
fn a_reddit_inbox_is_polled_once_and_answered_with_a_comment() {
    let dir = tempfile::tempdir().unwrap();
    let (server, addr, token, url) = serve_with_token(dir.path(), "reddit.db");
    let args = ["--database", url.as_str(), "serve", "--bind", "127.0.0.1:0"];
    let (api, calls) = fake_api(reddit_answer);
    let channel = serde_json::json!({"kind": "reddit", "name": "acme_care", "settings": {
        "client_id": "app-id", "client_secret": "app-secret", "username": "acme_care",
        "password": "hunter2", "poll_seconds": "1", "api_base": api}});
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/channels",
        Some(&token),
        channel.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    let conversations = wait_for_channel_messages(&addr, &token, "reddit", 2);
    assert_eq!(conversations.len(), 2, "a mention and a private message");
    drop(server);
    let (_server, addr) = spawn(dir.path(), &args, "listening on http://");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let conversations = wait_for_channel_messages(&addr, &token, "reddit", 2);
    assert!(calls.lock().unwrap().iter().all(|c| c
        .headers
        .get("user-agent")
        .is_some_and(|ua| ua.ends_with("(by /u/acme_care)"))));

    // Either conversation: each was started by a thing the reply can comment under.
    let id = conversations[0]["id"].as_i64().unwrap();
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/agents",
        Some(&token),
        br#"{"name": "Ana", "email": "ana@acme.test"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let agent: serde_json::Value = serde_json::from_str(&body).unwrap();
    let reply = serde_json::json!({"text": "So sorry! Could you DM us the order number?", "agent_id": agent["id"]});
    let (status, body) = http(
        &addr,
        "POST",
        &format!("/api/v1/conversations/{id}/reply"),
        Some(&token),
        reply.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let posted = loop {
        if let Some(c) = calls
            .lock()
            .unwrap()
            .iter()
            .find(|c| c.path == "/api/comment")
        {
            break c.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the reply never reached Reddit: {}",
            http(&addr, "GET", "/api/v1/outbox", Some(&token), b"").1
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(posted.text.contains("api_type=json"), "{}", posted.text);
    assert!(posted.text.contains("thing_id=t"), "{}", posted.text);
    assert!(
        posted.text.contains("text=So+sorry%21+Could"),
        "{}",
        posted.text
    );
}

/// A Reddit channel that also listens to a subreddit's search and comments, against a
/// running `serve`: the post and comment that match a topic are stored (the comment in the
/// post's thread), the other post is counted for share of voice, the account's own comment and
/// the comment naming the account (an inbox mention) are not heard twice; across a restart
/// nothing is stored again.
#[test]
fn a_subreddit_is_listened_to_beside_the_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let (server, addr, token, url) = serve_with_token(dir.path(), "subreddit.db");
    let args = ["--database", url.as_str(), "serve", "--bind", "127.0.0.1:0"];
    let topic = br#"{"name": "Refunds", "query": "refund"}"#;
    let (status, body) = http(&addr, "POST", "/api/v1/topics", Some(&token), topic);
    assert_eq!(status, 201, "{body}");
    let (api, calls) = fake_api(reddit_answer);
    let channel = serde_json::json!({"kind": "reddit", "name": "acme_care", "settings": {
        "client_id": "app-id", "client_secret": "app-secret", "username": "acme_care",
        "password": "hunter2", "poll_seconds": "1", "api_base": api,
        "subreddits": "r/Gadgets", "search": "acme"}});
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/channels",
        Some(&token),
        channel.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    // The inbox's mention and private message, the matching post and its comment.
    let conversations = wait_for_channel_messages(&addr, &token, "reddit", 4);
    assert_eq!(
        conversations.len(),
        3,
        "the comment joins its post's thread"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, voice) = http(
            &addr,
            "GET",
            "/api/v1/reports/share-of-voice?from=2025-12-01&to=2025-12-03",
            Some(&token),
            b"",
        );
        let voice: serde_json::Value = serde_json::from_str(&voice).unwrap();
        if voice["sources"][0]["unmatched"] == 1 {
            // The post, its comment, and the inbox's private message about a refund.
            assert_eq!(voice["sources"][0]["matched"], 3, "{voice}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{voice}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let comment_reads = |calls: &[ApiCall]| {
        calls
            .iter()
            .filter(|c| c.path.starts_with("/r/gadgets/comments?"))
            .count()
    };
    let before_restart = comment_reads(&calls.lock().unwrap());
    drop(server);
    let (_server, addr) = spawn(dir.path(), &args, "listening on http://");
    std::thread::sleep(std::time::Duration::from_secs(3));
    wait_for_channel_messages(&addr, &token, "reddit", 4);
    let calls = calls.lock().unwrap();
    assert!(
        comment_reads(&calls) > before_restart,
        "the comments are read again after the restart"
    );
    assert!(calls.iter().all(|c| c
        .headers
        .get("user-agent")
        .is_some_and(|ua| ua.ends_with("(by /u/acme_care)"))));
}

/// A review site's RSS feed as a web server serves it: `ETag: "v1"`, and `304` to a reader
/// that already has that version.
fn feed_answer(call: &ApiCall, _n: usize) -> (u16, serde_json::Value) {
    if call.headers.get("if-none-match").map(String::as_str) == Some("\"v1\"") {
        return (304, serde_json::Value::Null);
    }
    (200, serde_json::Value::Null)
}

const REVIEWS_RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Gadget Reviews</title>
<item><guid>r-1</guid><title>Acme X2: still waiting for my refund</title><link>https://reviews.example.com/acme-x2</link>
<pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate><description>Three weeks and no refund from Acme.</description></item>
<item><guid>r-2</guid><title>Best hiking boots of 2026</title><link>https://reviews.example.com/boots</link>
<pubDate>Tue, 01 Dec 2026 11:00:00 GMT</pubDate><description>Nothing about gadgets.</description></item>
</channel></rss>"#;

/// A stand-in web server for one feed: the RSS with its ETag, or `304` (see [`feed_answer`]).
fn fake_feed() -> (String, std::sync::Arc<std::sync::Mutex<Vec<ApiCall>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/feed.xml", listener.local_addr().unwrap());
    let calls: std::sync::Arc<std::sync::Mutex<Vec<ApiCall>>> = Default::default();
    let seen = calls.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let call = read_request(&stream);
            let (status, _) = feed_answer(&call, n);
            seen.lock().unwrap().push(call);
            let _ = if status == 304 {
                write!(
                    stream,
                    "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nConnection: close\r\n\r\n"
                )
            } else {
                write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: \"v1\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{REVIEWS_RSS}",
                    REVIEWS_RSS.len()
                )
            };
        }
    });
    (base, calls)
}

/// A feed as a listening source against a running `serve`: read at once, its entry that
/// matches a `site:` topic opens a conversation while the other is only counted (share of
/// voice says so), and after a restart the feed is asked for conditionally (`304`: nothing
/// read twice).
#[test]
fn a_review_sites_feed_is_heard_once_and_counted_for_share_of_voice() {
    let dir = tempfile::tempdir().unwrap();
    let (server, addr, token, url) = serve_with_token(dir.path(), "feed.db");
    let args = ["--database", url.as_str(), "serve", "--bind", "127.0.0.1:0"];
    let topic = br#"{"name": "Refunds in reviews", "query": "refund AND site:example.com"}"#;
    let (status, body) = http(&addr, "POST", "/api/v1/topics", Some(&token), topic);
    assert_eq!(status, 201, "{body}");
    let (feed, calls) = fake_feed();
    let channel =
        serde_json::json!({"kind": "feed", "name": "gadget-reviews", "settings": {"url": feed}});
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/channels",
        Some(&token),
        channel.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    assert!(
        !body.contains("webhook_url"),
        "a feed takes no webhooks: {body}"
    );
    let conversations = wait_for_channel_messages(&addr, &token, "web", 1);
    assert_eq!(conversations.len(), 1);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, voice) = http(
            &addr,
            "GET",
            "/api/v1/reports/share-of-voice?from=2026-12-01&to=2026-12-01",
            Some(&token),
            b"",
        );
        let voice: serde_json::Value = serde_json::from_str(&voice).unwrap();
        if voice["sources"][0]["unmatched"] == 1 {
            assert_eq!(voice["sources"][0]["matched"], 1, "{voice}");
            assert_eq!(voice["sources"][0]["role"], "listening", "{voice}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{voice}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    drop(server);
    let (_server, addr) = spawn(dir.path(), &args, "listening on http://");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !calls
        .lock()
        .unwrap()
        .iter()
        .any(|c| c.headers.get("if-none-match").map(String::as_str) == Some("\"v1\""))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no conditional request after the restart"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    wait_for_channel_messages(&addr, &token, "web", 1);
}

/// A local stand-in whose every connection is answered on a thread of its own (a stream stays
/// open while the rest is answered): `answer(base, path, stream)` writes the whole answer.
fn threaded_stand_in(
    answer: impl Fn(&str, &str, &mut TcpStream) + Send + Sync + 'static,
) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let answer = std::sync::Arc::new(answer);
    let own = base.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (answer, own) = (answer.clone(), own.clone());
            std::thread::spawn(move || {
                let path = read_request(&stream).path;
                answer(&own, &path, &mut stream);
            });
        }
    });
    base
}

/// `200` with a JSON body; the connection closes after it.
fn answer_json(stream: &mut TcpStream, v: &serde_json::Value) {
    let v = v.to_string();
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{v}",
        v.len()
    );
}

/// The start of a server-sent event stream, with a heartbeat.
const EVENT_STREAM: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n:thump\n\n";

/// A Mastodon instance that streams: `/api/v2/instance` names its streaming host (itself),
/// the notification stream sends a heartbeat and then, 3 seconds later, one `notification`
/// event; until then the catch-up endpoint has one mention, afterwards a second one too.
/// A thread per connection, since the stream stays open.
fn fake_streaming_mastodon() -> String {
    let streamed = std::sync::Arc::new(AtomicBool::new(false));
    threaded_stand_in(move |base, path, stream| {
        let mention = |id: &str, status: &str, text: &str| {
            serde_json::json!({"id": id, "type": "mention", "created_at": "2026-12-02T10:00:00.000Z",
                "account": {"id": "9", "acct": "dana@example.social"},
                "status": {"id": status, "created_at": "2026-12-02T10:00:00.000Z", "visibility": "public",
                  "content": format!("<p>{text}</p>"), "account": {"id": "9", "acct": "dana@example.social"}}})
        };
        if path.starts_with("/api/v2/instance") {
            answer_json(
                stream,
                &serde_json::json!({"configuration": {"urls": {"streaming": base.replace("http://", "ws://")}}}),
            );
        } else if path.starts_with("/api/v1/streaming/user/notification") {
            let _ = stream.write_all(EVENT_STREAM);
            std::thread::sleep(std::time::Duration::from_secs(3)); // well after the first poll at start
            streamed.store(true, Ordering::SeqCst);
            let _ = stream.write_all(
                b"event: notification\ndata: {\"id\": \"101\", \"type\": \"mention\"}\n\n",
            );
            std::thread::sleep(std::time::Duration::from_secs(60));
        } else if path.starts_with("/api/v1/notifications") {
            let mut list = vec![mention("100", "555", "first")];
            if streamed.load(Ordering::SeqCst) {
                list.insert(0, mention("101", "556", "second, heard through the stream"));
            }
            answer_json(stream, &serde_json::Value::Array(list));
        } else {
            answer_json(stream, &serde_json::json!({"error": "Record not found"}));
        }
    })
}

/// With an hour between polls, a mention announced on the account's notification stream is
/// stored within seconds: the stream (its host found in the instance's configuration) wakes
/// the poller, which reads the catch-up endpoint.
#[test]
fn a_mastodon_stream_wakes_the_poller_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, addr, token, _) = serve_with_token(dir.path(), "stream.db");
    let instance = fake_streaming_mastodon();
    let channel = serde_json::json!({"kind": "mastodon", "name": "acme", "settings": {
        "instance_url": instance, "access_token": "t", "poll_seconds": "3600"}});
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/channels",
        Some(&token),
        channel.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    // The first poll at start, then the stream's event: two mentions, well within the hour.
    wait_for_channel_messages(&addr, &token, "mastodon", 2);
}

/// A Mastodon instance with a busy hashtag: `#acme`'s timeline holds a customer's complaint,
/// a post about something else, the brand's own post and a post mentioning the brand (read as
/// a mention, so not a listening post); 3 seconds after the hashtag's stream is opened it
/// announces a second complaint (`update`), which the timeline then holds too. Every request's
/// path is kept.
fn fake_listening_mastodon() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let streamed = std::sync::Arc::new(AtomicBool::new(false));
    let paths: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let seen = paths.clone();
    let base = threaded_stand_in(move |_, path, stream| {
        seen.lock().unwrap().push(path.to_string());
        let status = |id: &str, acct: &str, text: &str, mentions: serde_json::Value| {
            serde_json::json!({"id": id, "created_at": "2026-12-02T10:00:00.000Z", "visibility": "public",
                "url": format!("https://example.social/@{acct}/{id}"), "mentions": mentions,
                "content": format!("<p>{text}</p>"), "account": {"id": acct, "acct": acct, "followers_count": 40}})
        };
        if path.starts_with("/api/v1/streaming/hashtag?tag=acme") {
            let _ = stream.write_all(EVENT_STREAM);
            std::thread::sleep(std::time::Duration::from_secs(3));
            streamed.store(true, Ordering::SeqCst);
            let _ = stream.write_all(b"event: update\ndata: {\"id\": \"205\"}\n\n");
            std::thread::sleep(std::time::Duration::from_secs(60));
        } else if path.starts_with("/api/v1/streaming/") {
            let _ = stream.write_all(EVENT_STREAM);
            std::thread::sleep(std::time::Duration::from_secs(60));
        } else if path.starts_with("/api/v1/timelines/tag/acme") {
            // Newest first, as Mastodon answers; `min_id` leaves out what is older.
            let mut list = vec![
                status(
                    "204",
                    "acme",
                    "our #acme sale starts today",
                    serde_json::json!([]),
                ),
                status(
                    "203",
                    "sam",
                    "@acme where is my order? #acme",
                    serde_json::json!([{"acct": "acme", "username": "acme"}]),
                ),
                status(
                    "202",
                    "lee",
                    "loving the #acme hiking trip photos",
                    serde_json::json!([]),
                ),
                status(
                    "201",
                    "kim",
                    "still no refund from #acme after a month",
                    serde_json::json!([]),
                ),
            ];
            if streamed.load(Ordering::SeqCst) {
                list.insert(
                    0,
                    status(
                        "205",
                        "ray",
                        "#acme refund denied again",
                        serde_json::json!([]),
                    ),
                );
            }
            if let Some(after) = path
                .split("min_id=")
                .nth(1)
                .map(|m| m.split('&').next().unwrap_or(""))
            {
                list.retain(|s| s["id"].as_str().unwrap() > after);
            }
            answer_json(stream, &serde_json::Value::Array(list));
        } else if path.starts_with("/api/v1/notifications") {
            answer_json(stream, &serde_json::json!([]));
        } else {
            answer_json(stream, &serde_json::json!({"error": "Record not found"}));
        }
    });
    (base, paths)
}

/// A Mastodon channel listening to a hashtag against a running `serve`: the hashtag's posts
/// that match a topic become conversations, the others are counted for share of voice, the
/// brand's own post and a post mentioning the brand are no listening posts; a post the
/// hashtag's stream announces is read within seconds although polls are an hour apart; after
/// a restart the timeline is read from its kept position, and nothing is stored twice.
#[test]
fn a_mastodon_hashtag_is_listened_to_through_its_stream_and_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let (server, addr, token, url) = serve_with_token(dir.path(), "tags.db");
    let args = ["--database", url.as_str(), "serve", "--bind", "127.0.0.1:0"];
    let topic = br#"{"name": "Refunds", "query": "refund"}"#;
    let (status, body) = http(&addr, "POST", "/api/v1/topics", Some(&token), topic);
    assert_eq!(status, 201, "{body}");
    let (instance, paths) = fake_listening_mastodon();
    let bad = serde_json::json!({"kind": "mastodon", "name": "acme", "settings": {
        "instance_url": instance, "access_token": "t", "hashtags": "acme, acme-care"}});
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/channels",
        Some(&token),
        bad.to_string().as_bytes(),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("settings.hashtags") && body.contains("`acme-care`"),
        "{body}"
    );
    let channel = serde_json::json!({"kind": "mastodon", "name": "acme", "settings": {
        "instance_url": instance, "access_token": "t", "poll_seconds": "3600", "hashtags": "#Acme"}});
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/channels",
        Some(&token),
        channel.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    // Kim's complaint at the first poll, Ray's after the stream's `update`.
    wait_for_channel_messages(&addr, &token, "mastodon", 2);
    let (_, voice) = http(
        &addr,
        "GET",
        "/api/v1/reports/share-of-voice?from=2026-12-02&to=2026-12-02",
        Some(&token),
        b"",
    );
    let voice: serde_json::Value = serde_json::from_str(&voice).unwrap();
    // The account's channel: what it hears and what is said to it.
    let source = &voice["sources"][0];
    assert_eq!(source["name"], "acme", "{voice}");
    assert_eq!(source["matched"], 2, "{voice}");
    // Only the hiking post: the brand's own post and the one mentioning it are not heard here.
    assert_eq!(source["unmatched"], 1, "{voice}");
    let before_restart = paths.lock().unwrap().len();
    drop(server);

    let (_server, addr) = spawn(dir.path(), &args, "listening on http://");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !paths.lock().unwrap()[before_restart..]
        .iter()
        .any(|p| p.starts_with("/api/v1/timelines/tag/acme") && p.contains("min_id=205"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the hashtag was not read from its kept position after the restart: {:?}",
            paths.lock().unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    wait_for_channel_messages(&addr, &token, "mastodon", 2);
}

/// A Mastodon instance whose rate limit is spent: every read is `429` with `X-RateLimit-Reset`
/// an hour ahead, as Mastodon answers; the stand-in counts the reads of the notifications.
fn rate_limited_mastodon() -> (String, std::sync::Arc<AtomicUsize>) {
    let reads = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = reads.clone();
    let base = threaded_stand_in(move |_, path, stream| {
        if path.starts_with("/api/v1/notifications") {
            counted.fetch_add(1, Ordering::SeqCst);
        }
        let reset = (chrono::Utc::now() + chrono::Duration::hours(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let body = r#"{"error": "Too many requests"}"#;
        let _ = write!(
            stream,
            "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nX-RateLimit-Limit: 300\r\nX-RateLimit-Remaining: 0\r\nX-RateLimit-Reset: {reset}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    (base, reads)
}

/// A spent rate limit is waited out: with polls a second apart, an instance that answers
/// `429` until its `X-RateLimit-Reset` an hour ahead is read once, not every second; the
/// channel says why it is not reading.
#[test]
fn a_spent_rate_limit_is_waited_out_not_hammered() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, addr, token, _) = serve_with_token(dir.path(), "limited.db");
    let (instance, reads) = rate_limited_mastodon();
    let channel = serde_json::json!({"kind": "mastodon", "name": "acme", "settings": {
        "instance_url": instance, "access_token": "t", "poll_seconds": "1"}});
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/channels",
        Some(&token),
        channel.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    let channel: serde_json::Value = serde_json::from_str(&body).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(5));
    assert_eq!(reads.load(Ordering::SeqCst), 1, "read once, then waited");
    let (_, shown) = http(
        &addr,
        "GET",
        &format!("/api/v1/channels/{}", channel["id"]),
        Some(&token),
        b"",
    );
    assert!(shown.contains("HTTP 429"), "{shown}");
}

/// X's filtered stream into a running server (`earshot bench x-stream`, small): the topics
/// become rules at a stand-in X API, the stream is cut twice (once cleanly, once mid-chunk),
/// each reconnect asks for a backfill and gets the last posts again; every post served is
/// counted once and each one matching a topic stored once.
#[test]
fn an_x_filtered_stream_loses_and_doubles_nothing_across_two_disconnects() {
    let dir = tempfile::tempdir().unwrap();
    let out = earshot(
        dir.path(),
        &[
            "bench",
            "x-stream",
            "--posts",
            "3000",
            "--topics",
            "300",
            "--overlap",
            "250",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("= 3000 of 3000"), "{text}");
    assert!(text.contains("backfill asked: none, 1, 1"), "{text}");
    assert!(
        text.contains("500 re-delivered posts dropped, 2 reconnects"),
        "{text}"
    );
}
