//! `earshot bench x-stream`: X's filtered stream into a running Earshot (the same `serve`
//! that `earshot serve` runs: API, webhook worker, pollers and the X streams) with N topics.
//!
//! A local stand-in for the X API, built to its documented requests and answers, keeps the
//! stream's rules (`GET`/`POST /2/tweets/search/stream/rules`, refusing rules over the
//! length and count limits) and serves the stream (`GET /2/tweets/search/stream`, chunked
//! JSON lines with `\r\n` keep-alives): only the generated posts that the synced rules
//! match (read back as Earshot queries, which they are), so the rules' breadth is part of
//! what is measured. It ends the stream twice — once cleanly (a deploy), once by dropping
//! the connection mid-chunk — and on a reconnect with `backfill_minutes` it re-delivers the
//! last posts before the drop, as X does; without it, the posts of the gap are lost.
//!
//! Checked at the end: every post served is counted once by listening (share of voice:
//! matched plus unmatched), every one that matches a topic is stored once, and that count is
//! what Earshot's matcher alone finds on the same posts. Baseline in the same run: the
//! matcher alone over the same posts, on one core (what `earshot bench listen` measures).

use clap::Args;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

#[derive(Debug, Args)]
pub struct StreamBench {
    /// Posts the stream serves (after its rules' filter).
    #[arg(long, default_value_t = 200_000)]
    pub posts: usize,
    /// Listening topics of the workspace (generated as `earshot bench listen` does).
    #[arg(long, default_value_t = 10_000)]
    pub topics: usize,
    /// Times the stream is cut (alternately ended cleanly and dropped mid-chunk).
    #[arg(long, default_value_t = 2)]
    pub disconnects: usize,
    /// Posts re-delivered after each cut (a backfill).
    #[arg(long, default_value_t = 2_000)]
    pub overlap: usize,
    /// Generator seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

const MAX_RULES: usize = 1_000;
const MAX_RULE_CHARS: usize = 1_024;

/// What the stand-in holds and counts.
#[derive(Default)]
struct Fake {
    rules: Mutex<Vec<(String, String)>>,
    next_rule: AtomicUsize,
    /// The stream's lines once the rules are known, and the texts they carry.
    lines: tokio::sync::OnceCell<Arc<Vec<Served>>>,
    /// Next line to send.
    position: AtomicUsize,
    connections: AtomicUsize,
    backfills: Mutex<Vec<String>>,
    /// Lines sent in all (re-deliveries included), and the first line's time.
    sent: AtomicUsize,
    started: Mutex<Option<Instant>>,
    candidates: Vec<String>,
    /// Posts to serve.
    wanted: usize,
    /// Cuts after these many posts.
    cuts: Vec<usize>,
    overlap: usize,
}

/// One post of the stream: its line, and what the baseline matches on.
struct Served {
    line: String,
    text: String,
    followers: u64,
}

struct Request {
    method: String,
    target: String,
    body: Vec<u8>,
}

async fn read_request(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).await.ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).await.ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    Some(Request {
        method,
        target,
        body,
    })
}

fn json_answer(status: u16, body: &serde_json::Value) -> Vec<u8> {
    let text = body.to_string();
    format!(
        "HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
        text.len()
    )
    .into_bytes()
}

impl Fake {
    fn rules_answer(&self, request: &Request) -> Vec<u8> {
        let mut rules = self.rules.lock().unwrap();
        if request.method == "GET" {
            let data: Vec<serde_json::Value> = rules
                .iter()
                .map(|(id, v)| serde_json::json!({"id": id, "value": v, "tag": "earshot"}))
                .collect();
            return json_answer(
                200,
                &serde_json::json!({"data": data, "meta": {"sent": "now", "result_count": data.len()}}),
            );
        }
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let mut deleted = 0;
        for id in body
            .pointer("/delete/ids")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            let before = rules.len();
            rules.retain(|(rid, _)| Some(rid.as_str()) != id.as_str());
            deleted += before - rules.len();
        }
        let (mut created, mut errors) = (0, Vec::new());
        for rule in body["add"].as_array().into_iter().flatten() {
            let value = rule["value"].as_str().unwrap_or("").to_string();
            if value.chars().count() > MAX_RULE_CHARS {
                errors.push(serde_json::json!({"value": value, "title": "RuleLengthExceeded"}));
            } else if rules.len() >= MAX_RULES {
                errors.push(serde_json::json!({"value": value, "title": "RuleCapExceeded"}));
            } else {
                let id = self.next_rule.fetch_add(1, Ordering::SeqCst) + 1;
                rules.push((
                    format!("{}", 1_600_000_000_000_000_000u64 + id as u64),
                    value,
                ));
                created += 1;
            }
        }
        json_answer(
            if body.get("add").is_some() { 201 } else { 200 },
            &serde_json::json!({"meta": {"sent": "now", "summary": {"created": created, "not_created": errors.len(), "deleted": deleted}}, "errors": errors}),
        )
    }

    /// The lines of every candidate post the rules match, built once.
    async fn lines(self: &Arc<Self>) -> Arc<Vec<Served>> {
        let me = self.clone();
        self.lines
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || me.build_lines())
                    .await
                    .expect("building the stream")
            })
            .await
            .clone()
    }

    fn build_lines(&self) -> Arc<Vec<Served>> {
        let rules: Vec<(String, earshot_listen::Query)> = self
            .rules
            .lock()
            .unwrap()
            .iter()
            .map(|(id, v)| {
                let q = earshot_listen::parse(&v.replace("-(", "NOT ("))
                    .unwrap_or_else(|e| panic!("the stand-in cannot read rule `{v}`: {e}"));
                (id.clone(), q)
            })
            .collect();
        let matcher = earshot_listen::Matcher::new(rules);
        let now = chrono::Utc::now();
        let lines = self
            .candidates
            .iter()
            .enumerate()
            .filter_map(|(n, text)| {
                let user = n % 5_000;
                let hits = matcher.matches(&earshot_listen::Post::new(text));
                if hits.is_empty() {
                    return None;
                }
                let rules: Vec<serde_json::Value> = hits
                    .iter()
                    .map(|id| serde_json::json!({"id": id, "tag": "earshot"}))
                    .collect();
                let line = serde_json::json!({
                    "data": {"id": format!("{}", 1_900_000_000_000_000_000u64 + n as u64), "text": text,
                             "author_id": format!("u{user}"), "lang": "en",
                             "created_at": (now - chrono::Duration::seconds(60)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)},
                    "includes": {"users": [{"id": format!("u{user}"), "username": format!("fan{user}"),
                        "name": format!("Fan {user}"), "verified": false,
                        "public_metrics": {"followers_count": followers(user)}}]},
                    "matching_rules": rules});
                Some(Served {
                    line: line.to_string(),
                    text: text.clone(),
                    followers: followers(user),
                })
            })
            .take(self.wanted)
            .collect();
        Arc::new(lines)
    }

    async fn stream(self: Arc<Self>, target: &str, mut writer: tokio::net::tcp::OwnedWriteHalf) {
        let lines = self.lines().await;
        let n = self.connections.fetch_add(1, Ordering::SeqCst);
        let backfill = target
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("backfill_minutes="))
            .map(str::to_string);
        if n > 0 {
            let at = self.position.load(Ordering::SeqCst);
            // With a backfill, what came shortly before the cut comes again; without one, the
            // gap's posts are gone.
            let resume = match &backfill {
                Some(_) => at.saturating_sub(self.overlap),
                None => (at + self.overlap).min(lines.len()),
            };
            self.position.store(resume, Ordering::SeqCst);
        }
        self.backfills
            .lock()
            .unwrap()
            .push(backfill.unwrap_or_else(|| "none".into()));
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        if writer.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = |text: &str| format!("{:x}\r\n{text}\r\n", text.len());
        let _ = writer.write_all(chunk("\r\n").as_bytes()).await;
        self.started
            .lock()
            .unwrap()
            .get_or_insert_with(Instant::now);
        let cut = self.cuts.get(n).copied();
        loop {
            let from = self.position.load(Ordering::SeqCst);
            if from >= lines.len() {
                // All served: keep-alives until the client goes.
                tokio::time::sleep(Duration::from_secs(5)).await;
                if writer.write_all(chunk("\r\n").as_bytes()).await.is_err() {
                    return;
                }
                continue;
            }
            let mut to = (from + 200).min(lines.len());
            if let Some(c) = cut {
                if from >= c {
                    if n.is_multiple_of(2) {
                        let _ = writer.write_all(b"0\r\n\r\n").await; // ended cleanly
                    } else {
                        let _ = writer.write_all(b"ff\r\n{\"data\":").await; // dropped mid-chunk
                    }
                    return;
                }
                to = to.min(c);
            }
            let mut text = String::new();
            for served in &lines[from..to] {
                text.push_str(&served.line);
                text.push_str("\r\n");
            }
            if writer.write_all(chunk(&text).as_bytes()).await.is_err() {
                return;
            }
            self.sent.fetch_add(to - from, Ordering::SeqCst);
            self.position.store(to, Ordering::SeqCst);
        }
    }

    async fn serve(self: Arc<Self>, listener: tokio::net::TcpListener) {
        while let Ok((socket, _)) = listener.accept().await {
            let me = self.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut reader = BufReader::new(read);
                while let Some(request) = read_request(&mut reader).await {
                    let path = request.target.split('?').next().unwrap_or("");
                    match path {
                        "/2/tweets/search/stream/rules" => {
                            if write.write_all(&me.rules_answer(&request)).await.is_err() {
                                return;
                            }
                        }
                        "/2/tweets/search/stream" => {
                            me.clone().stream(&request.target, write).await;
                            return;
                        }
                        _ => {
                            let answer =
                                json_answer(404, &serde_json::json!({"title": "Not Found"}));
                            if write.write_all(&answer).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    }
}

fn followers(user: usize) -> u64 {
    (user as u64 * 7_919) % 20_000
}

/// A server with an X channel streaming from the stand-in.
struct Running {
    store: std::sync::Arc<dyn earshot_core::Store>,
    ws: earshot_core::WorkspaceId,
    channel: earshot_core::ChannelId,
    fake: Arc<Fake>,
    addr: std::net::SocketAddr,
    token: String,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// `GET path` on the running server's API.
    async fn get(&self, path: &str) -> anyhow::Result<serde_json::Value> {
        let body = reqwest::Client::new()
            .get(format!("http://{}{path}", self.addr))
            .bearer_auth(&self.token)
            .send()
            .await?
            .bytes()
            .await?;
        Ok(serde_json::from_slice(&body)?)
    }
}

/// Saves `queries` as topics, starts the stand-in and `serve`, and connects the X channel.
async fn start(
    url: &str,
    args: &StreamBench,
    queries: &[(String, String)],
) -> anyhow::Result<Running> {
    let store = earshot_store::open(url).await?;
    let ws = store.ensure_workspace("bench-stream").await?;
    let t = Instant::now();
    for (id, q) in queries {
        let draft = earshot_core::topic::TopicDraft {
            name: id.clone(),
            query: q.clone(),
            active: true,
        };
        store.create_topic(ws.id, &draft).await?;
    }
    println!(
        "{} topics saved in {:.1} s",
        queries.len(),
        t.elapsed().as_secs_f64()
    );
    // Candidates: enough generated posts that the rules' share of them fills the stream.
    let candidates =
        earshot_listen::synth::posts(args.posts * 2, (args.topics / 10).max(1), args.seed);
    let step = args.posts / (args.disconnects + 1);
    let fake = Arc::new(Fake {
        candidates,
        wanted: args.posts,
        cuts: (1..=args.disconnects).map(|k| k * step).collect(),
        overlap: args.overlap,
        ..Fake::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let api = format!("http://{}", listener.local_addr()?);
    tokio::spawn(fake.clone().serve(listener));

    let secrets = earshot_engine::channels::SecretBox::ephemeral();
    let channels = earshot_engine::channels::Channels::new(store.clone(), secrets.clone(), None);
    let draft = earshot_engine::channels::ChannelDraft {
        kind: "x".into(),
        name: "acme".into(),
        settings: serde_json::json!({"consumer_key": "k", "consumer_secret": "s",
            "access_token": "t", "access_token_secret": "ts", "bearer_token": "bench-bearer",
            "api_base": api, "stream_rule_limit": MAX_RULES.to_string(),
            "stream_rule_chars": MAX_RULE_CHARS.to_string()})
        .as_object()
        .cloned()
        .unwrap_or_default(),
    };
    let channel = channels
        .connect(ws.id, &draft)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let options = crate::serve::ServeOptions {
        public_url: None,
        secrets,
    };
    let token = earshot_core::auth::generate_token();
    store
        .create_api_token(ws.id, "bench", &earshot_core::auth::hash_token(&token))
        .await?;
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(crate::serve::serve(
        store.clone(),
        "127.0.0.1:0",
        options,
        move |addr| {
            let _ = addr_tx.send(addr);
        },
    ));
    let addr = addr_rx.await?;
    Ok(Running {
        store,
        ws: ws.id,
        channel: channel.id,
        fake,
        addr,
        token,
        server,
    })
}

pub async fn run(database: Option<String>, args: StreamBench) -> anyhow::Result<ExitCode> {
    let dir = tempfile::tempdir()?;
    let url =
        database.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("stream.db").display()));
    println!(
        "bench x-stream: {} posts served, {} topics, {} cuts ({} posts re-delivered after each), database {url}",
        args.posts, args.topics, args.disconnects, args.overlap
    );
    let queries = earshot_listen::synth::queries(args.topics, args.seed);
    let running = start(&url, &args, &queries).await?;
    let Running {
        store,
        ws,
        channel,
        fake,
        ..
    } = &running;
    let (store, ws, channel, fake) = (store.clone(), *ws, *channel, fake.clone());

    // Until the stream has put every post served through the pipeline (as the channel's
    // API says), or nothing moves for a minute.
    let path = format!("/api/v1/channels/{}", channel.0);
    let mut last = (0u64, Instant::now());
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let view = running.get(&path).await?;
        let ingested = view["stream"]["ingested"].as_u64().unwrap_or(0);
        let lines = fake.lines.get().map_or(usize::MAX, |l| l.len()) as u64;
        if ingested >= lines {
            break;
        }
        if ingested != last.0 {
            last = (ingested, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(60) {
            println!("stalled: {ingested} of {lines} posts through the pipeline");
            break;
        }
    }
    let elapsed = fake
        .started
        .lock()
        .unwrap()
        .map(|s| s.elapsed())
        .unwrap_or_default();
    let lines = fake.lines.get().cloned().unwrap_or_default();
    let voice = store
        .share_of_voice(
            ws,
            chrono::Utc::now() - chrono::Duration::days(2),
            chrono::Utc::now() + chrono::Duration::days(1),
        )
        .await?;
    let sum = |rows: &[(i64, earshot_core::ChannelId, i64)]| -> i64 {
        rows.iter()
            .filter(|(_, c, _)| *c == channel)
            .map(|(_, _, n)| n)
            .sum()
    };
    let counted = (sum(&voice.matched), sum(&voice.unmatched));
    let counts = store.counts(ws).await?;
    // What the running server says of the channel's stream.
    let view = running
        .get(&format!("/api/v1/channels/{}", channel.0))
        .await?;
    running.server.abort();

    // The baseline: Earshot's matcher alone on the same posts, one core.
    let matcher = earshot_listen::Matcher::new(
        queries
            .iter()
            .map(|(id, q)| {
                (
                    id.clone(),
                    earshot_listen::parse(q).expect("generated queries parse"),
                )
            })
            .collect(),
    );
    let t = Instant::now();
    let mut expected = 0i64;
    for served in lines.iter() {
        let mut post = earshot_listen::Post::new(&served.text);
        post.followers = Some(served.followers);
        expected += i64::from(!matcher.matches(&post).is_empty());
    }
    let alone = t.elapsed();

    let served = lines.len();
    let rules = fake.rules.lock().unwrap().len();
    println!(
        "rules synced: {rules} (limit {MAX_RULES} of {MAX_RULE_CHARS} characters) for {} topics; the stream served {served} of {} generated posts",
        args.topics,
        fake.candidates.len()
    );
    println!(
        "connections: {} (backfill asked: {}); lines sent {} ({} re-delivered)",
        fake.connections.load(Ordering::SeqCst),
        fake.backfills.lock().unwrap().join(", "),
        fake.sent.load(Ordering::SeqCst),
        fake.sent.load(Ordering::SeqCst).saturating_sub(served)
    );
    println!("{:<52} {:>10} {:>12}", "", "posts/s", "time");
    println!(
        "{:<52} {:>10.0} {:>11.2}s",
        "matcher alone, one core (earshot bench listen)",
        served as f64 / alone.as_secs_f64(),
        alone.as_secs_f64()
    );
    println!(
        "{:<52} {:>10.0} {:>11.2}s",
        "stream → serve → pipeline → store, end to end",
        served as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    println!(
        "counted by listening: {} matched + {} unmatched = {} of {served}; stored messages {}; the matcher alone finds {expected} matching",
        counted.0,
        counted.1,
        counted.0 + counted.1,
        counts.messages
    );
    let s = &view["stream"];
    println!(
        "the channel says (GET /api/v1/channels/{{id}}): {} rules, {} topics on the stream, {} left off, {} re-delivered posts dropped, {} reconnects",
        s["rules"],
        s["topics_on_stream"],
        s["topics_left_off"].as_array().map_or(0, Vec::len),
        s["redelivered"],
        s["reconnects"]
    );
    let ok = counted.0 + counted.1 == served as i64
        && counts.messages == expected
        && counted.0 == expected;
    if !ok {
        println!("FAILED: a post was lost or counted twice");
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn until(what: &str, mut done: impl FnMut() -> bool) {
        let t = Instant::now();
        while !done() {
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "waited 30 s for {what}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn rules(fake: &Fake) -> Vec<String> {
        fake.rules
            .lock()
            .unwrap()
            .iter()
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Topics changed through the API change the stream's rules at X within seconds (the
    /// old rule deleted by id, the new one added), and a topic X cannot narrow is reported on
    /// the channel with its reason instead of widening the stream to everything.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_rules_follow_the_topics_and_what_cannot_be_a_rule_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let args = StreamBench {
            posts: 200,
            topics: 10,
            disconnects: 0,
            overlap: 0,
            seed: 1,
        };
        let queries = vec![
            (
                "shipping".to_string(),
                "acme AND (late OR lost)".to_string(),
            ),
            ("everything".to_string(), "refund*".to_string()),
        ];
        let running = start(&url, &args, &queries).await.unwrap();
        let fake = running.fake.clone();
        until("the first sync", || rules(&fake).len() == 1).await;
        assert!(rules(&fake)[0].contains("(late OR #late OR @late)"));
        let path = format!("/api/v1/channels/{}", running.channel.0);
        let view = running.get(&path).await.unwrap();
        let stream = &view["stream"];
        assert_eq!(stream["topics_on_stream"], 1, "{view}");
        assert_eq!(
            stream["topics_left_off"][0]["topic"], "everything",
            "{view}"
        );
        assert!(stream["topics_left_off"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("cannot narrow"));
        assert_eq!(
            view["settings"]["bearer_token"], "********",
            "masked, never shown"
        );
        // And on /metrics, for Prometheus.
        let metrics = reqwest::get(format!("http://{}/metrics", running.addr))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let channel = running.channel.0;
        assert!(
            metrics.contains(&format!(
                "earshot_x_stream_topics_left_off{{channel=\"{channel}\"}} 1"
            )),
            "{metrics}"
        );
        assert!(metrics.contains("# TYPE earshot_x_stream_posts_total counter"));

        let http = reqwest::Client::new();
        let created = http
            .post(format!("http://{}/api/v1/topics", running.addr))
            .bearer_auth(&running.token)
            .header("content-type", "application/json")
            .body(serde_json::json!({"name": "billing", "query": "#acmebilling"}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        until("the new topic's rule", || {
            rules(&fake).iter().any(|r| r.contains("#acmebilling"))
        })
        .await;
        assert_eq!(
            rules(&fake).len(),
            1,
            "one rule holds both: {:?}",
            rules(&fake)
        );

        let shipping = running.get("/api/v1/topics").await.unwrap();
        let id = shipping
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "shipping")
            .unwrap()["id"]
            .clone();
        let removed = http
            .delete(format!("http://{}/api/v1/topics/{id}", running.addr))
            .bearer_auth(&running.token)
            .send()
            .await
            .unwrap();
        assert!(removed.status().is_success());
        until("the removed topic's words to leave the rules", || {
            rules(&fake) == vec!["#acmebilling".to_string()]
        })
        .await;
        running.server.abort();
    }
}
