//! Decoders against real platform payloads (`../shared/fixtures`) and hostile input.

use earshot_channels::{decode, detect, DecodeOptions, Format, Location};
use earshot_core::{Direction, Visibility};
use std::path::PathBuf;

/// `../shared/fixtures/…`, or `None` (with a message) outside CI when shared data is absent.
fn fixture(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures")
        .join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have ../shared: {} is missing",
        path.display()
    );
    eprintln!("SKIPPED: {} is not present", path.display());
    None
}

fn decode_file(
    path: &PathBuf,
    format: Format,
    account: Option<&str>,
) -> Vec<earshot_channels::Decoded> {
    let options = DecodeOptions {
        account: account.map(str::to_string),
    };
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    decode(file, format, &options).unwrap().collect()
}

#[test]
fn x_search_with_expanded_users_threads_replies_and_keeps_profiles() {
    let Some(path) = fixture("x_twitter/v2_recent_search_tweet_fields_expanded_users.json") else {
        return;
    };
    let head = std::fs::read(&path).unwrap();
    assert_eq!(
        detect(&path, &head[..head.len().min(4096)]),
        Some(Format::XV2)
    );
    let decoded = decode_file(&path, Format::XV2, Some("@snowman"));
    let ok: Vec<_> = decoded
        .iter()
        .filter_map(|d| d.result.as_ref().ok())
        .collect();
    assert!(ok.len() >= 4, "{decoded:?}");
    let first = ok[0];
    assert_eq!(first.external_id, "1276035977375477760");
    assert_eq!(first.author.handle.as_deref(), Some("happycamper"));
    assert_eq!(first.in_reply_to.as_deref(), Some("1275653067283759104"));
    assert_eq!(first.direction, Direction::In);
    // @snowman is the owned account here, so its tweets are the brand speaking.
    assert!(ok
        .iter()
        .any(|m| m.author.handle.as_deref() == Some("snowman") && m.direction == Direction::Out));
    // The parent tweet comes from includes.tweets, so the reply can join it.
    assert!(ok.iter().any(|m| m.external_id == "1275653067283759104"));
    assert!(decoded
        .iter()
        .any(|d| matches!(&d.location, Location::Path(p) if p.starts_with("includes.tweets"))));
}

#[test]
fn x_errors_and_tweets_without_an_author_are_rejected_with_reasons() {
    let Some(deleted) = fixture("x_twitter/v2_single_tweet_deleted_error.json") else {
        return;
    };
    let decoded = decode_file(&deleted, Format::XV2, None);
    assert_eq!(decoded.len(), 1);
    let reject = decoded[0].result.as_ref().unwrap_err();
    assert_eq!(reject.code, "platform_error");
    assert!(
        reject.reason.contains("Could not find tweet"),
        "{}",
        reject.reason
    );
    assert_eq!(decoded[0].location, Location::Path("errors[0]".into()));

    let Some(bare) = fixture("x_twitter/v2_get_tweet_default_fields_recorded.json") else {
        return;
    };
    let decoded = decode_file(&bare, Format::XV2, None);
    let reject = decoded[0].result.as_ref().unwrap_err();
    assert!(
        reject.reason.contains("tweet.fields=author_id"),
        "{}",
        reject.reason
    );
}

#[test]
fn normalized_jsonl_reports_every_bad_line_and_keeps_the_good_ones() {
    let ok = r#"{"channel":"x","external_id":"1","author":{"external_id":"u"},"text":"hi","created_at":"2020-01-01T00:00:00Z"}"#;
    let mut input = Vec::new();
    input.extend_from_slice(ok.as_bytes());
    input.extend_from_slice(b"\n{\"channel\":\"x\",\"external_id\":\n"); // truncated JSON
    input.extend_from_slice(br#"{"channel":"x","external_id":2,"author":{"external_id":"u"},"text":"hi","created_at":"2020-01-01T00:00:00Z"}"#);
    input.extend_from_slice(b"\n{\"channel\":\"x\",\"text\":\"caf\xc3\x28\"}\n"); // invalid UTF-8
    input.extend_from_slice(br#"{"channel":"x","external_id":"3","author":{"external_id":"u"},"text":"","created_at":"2020-01-01T00:00:00Z"}"#);
    input.extend_from_slice(b"\n\n");
    input.extend_from_slice(
        format!("{{\"text\":\"{}\"}}\n", "a".repeat(11 * 1024 * 1024)).as_bytes(),
    );
    input.extend_from_slice(br#"{"channel":"x","external_id":"4","author":{"external_id":"u"},"text":"hi","created_at":"2020-01-01T00:00:00Z","mood":"sad"}"#);
    input.push(b'\n');
    input.extend_from_slice(ok.replace("\"1\"", "\"5\"").as_bytes());

    let decoded: Vec<_> = decode(&input[..], Format::Jsonl, &DecodeOptions::default())
        .unwrap()
        .collect();
    let summary: Vec<(String, &str)> = decoded
        .iter()
        .map(|d| {
            (
                d.location.to_string(),
                d.result.as_ref().map(|_| "ok").unwrap_or_else(|r| r.code),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("line 1".to_string(), "ok"),
            ("line 2".to_string(), "invalid_json"),
            ("line 3".to_string(), "invalid_json"),
            ("line 4".to_string(), "invalid_utf8"),
            ("line 5".to_string(), "empty_field"),
            ("line 7".to_string(), "line_too_long"),
            ("line 8".to_string(), "invalid_json"),
            ("line 9".to_string(), "ok"),
        ]
    );
    let wrong_type = decoded[2].result.as_ref().unwrap_err();
    assert!(
        wrong_type.reason.contains("invalid type"),
        "{}",
        wrong_type.reason
    );
    let unknown = decoded[6].result.as_ref().unwrap_err();
    assert!(
        unknown.reason.contains("unknown field `mood`"),
        "{}",
        unknown.reason
    );
    assert_eq!(
        decoded[0].result.as_ref().unwrap().visibility,
        Visibility::Public
    );
}

/// Every file of a platform's fixtures, detected and decoded.
fn platform_fixtures(dir: &str) -> Vec<(String, Vec<earshot_channels::Decoded>)> {
    let Some(root) = fixture(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            let format =
                detect(&path, &bytes).unwrap_or_else(|| panic!("{} not detected", path.display()));
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (
                name,
                decode(&bytes[..], format, &DecodeOptions::default())
                    .unwrap()
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn every_whatsapp_fixture_decodes_or_says_why() {
    let all = platform_fixtures("whatsapp_cloud_api");
    for (name, records) in &all {
        assert!(!records.is_empty(), "{name}: nothing decoded or reported");
        for r in records {
            if let Err(e) = &r.result {
                assert!(!e.reason.is_empty(), "{name}: a reject without a reason");
            }
        }
    }
    let get = |n: &str| &all.iter().find(|(f, _)| f == n).unwrap().1;
    let image = get("webhook_message_image.json")[0]
        .result
        .as_ref()
        .unwrap();
    assert_eq!(image.external_id, "wamid.xyzxyz");
    assert_eq!(image.author.external_id, "972987654321");
    assert_eq!(image.author.display_name.as_deref(), Some("Test Name"));
    assert_eq!(image.visibility, Visibility::Private);
    assert!(
        image.text.contains("image/jpeg") && image.text.contains("65463453"),
        "{}",
        image.text
    );
    assert_eq!(
        image.attachments,
        [earshot_core::Attachment {
            kind: "image".into(),
            mime_type: Some("image/jpeg".into()),
            media_id: Some("65463453".into()),
            ..Default::default()
        }],
        "recorded as an attachment with its type and media id"
    );
    let button = get("webhook_callback_button_button.json")[0]
        .result
        .as_ref()
        .unwrap();
    assert_eq!(button.text, "title");
    assert_eq!(
        button.in_reply_to, None,
        "a context naming the message itself is dropped"
    );
    let order = get("webhook_message_order.json")[0]
        .result
        .as_ref()
        .unwrap();
    assert!(order.text.contains("3 × HAMBURGER"), "{}", order.text);
    let edit = get("webhook_edited_message_image.json")[0]
        .result
        .as_ref()
        .unwrap();
    assert!(edit.text.starts_with("(edited) Updated image caption"));
    assert!(edit
        .in_reply_to
        .as_deref()
        .unwrap()
        .starts_with("wamid.HBgLMTQxMjU1"));
    let broken = get("webhook_message_interactive_message_with_err.json");
    assert_eq!(
        broken[0].result.as_ref().unwrap_err().code,
        "unsupported_message"
    );
    let reaction = get("webhook_message_reaction.json");
    assert!(reaction[0]
        .result
        .as_ref()
        .unwrap_err()
        .reason
        .contains("reaction"));
    let status = get("webhook_status_delivered.json");
    assert!(status[0]
        .result
        .as_ref()
        .unwrap_err()
        .reason
        .contains("delivered"));
}

#[test]
fn messenger_and_instagram_fixtures_decode_from_a_body_an_entry_or_one_item() {
    for (name, records) in platform_fixtures("meta_messenger")
        .into_iter()
        .chain(platform_fixtures("instagram"))
    {
        assert_eq!(records.len(), 1, "{name}");
        let m = records[0]
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert!(
            !m.text.is_empty() && !m.author.external_id.is_empty(),
            "{name}"
        );
        if name.starts_with("messaging_message") {
            assert_eq!(m.channel, earshot_core::ChannelKind::Instagram);
            assert_eq!(
                (m.external_id.as_str(), m.text.as_str()),
                ("MESSAGE-ID", "MESSAGE-TEXT")
            );
        }
        if name.starts_with("messages_attachment") {
            assert!(m.text.starts_with('['), "{}", m.text);
            assert!(
                !m.attachments.is_empty() && !m.attachments[0].kind.is_empty(),
                "{name}: {:?}",
                m.attachments
            );
        }
    }
}

#[test]
fn telegram_updates_decode_messages_and_name_what_they_skip() {
    let all = platform_fixtures("telegram");
    for (name, records) in &all {
        assert_eq!(records.len(), 1, "{name}");
    }
    let get = |n: &str| &all.iter().find(|(f, _)| f == n).unwrap().1[0].result;
    let m = get("update_message.json").as_ref().unwrap();
    assert_eq!(
        (m.external_id.as_str(), m.text.as_str()),
        ("218485655:6557", "hello there")
    );
    assert_eq!(m.author.handle.as_deref(), Some("@WaffleLapkin"));
    assert_eq!(m.visibility, Visibility::Private);
    assert!(get("update_dice_works.json")
        .as_ref()
        .unwrap()
        .text
        .contains("dice"));
    assert!(get("update_issue_1107.json")
        .as_ref()
        .unwrap()
        .text
        .contains("story"));
    for skipped in [
        "update_chat_boost_updated.json",
        "update_issue_523.json",
        "update_new_update_kind_error.json",
    ] {
        let reason = &get(skipped).as_ref().unwrap_err().reason;
        assert!(
            reason.contains("not a customer message"),
            "{skipped}: {reason}"
        );
    }
}

#[test]
fn hostile_platform_payloads_are_rejected_not_panicked_on() {
    let cases: [&[u8]; 12] = [
        b"{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":[{\"field\":\"messages\",\"value\":{\"messages\":[{}]}}]}]}",
        b"{\"for_user_id\":1,\"tweet_create_events\":[{\"id_str\":5,\"user\":[]}],\"direct_message_events\":7}",
        b"{\"kind\":\"Listing\",\"data\":{\"children\":[{\"kind\":\"t1\",\"data\":{\"name\":\"t1_x\",\"author\":\"a\",\"created_utc\":1e300,\"replies\":{\"kind\":\"Listing\"}}}]}}",
        b"{\"event\":\"update\",\"payload\":\"{\\\"id\\\":1}\"}",
        b"[{\"type\":\"mention\",\"account\":{},\"status\":{\"id\":\"1\",\"account\":{\"id\":\"2\"},\"created_at\":\"never\"}}]",
        b"{\"post\":{\"topic_id\":\"x\",\"post_number\":-1,\"username\":\"\",\"created_at\":\"2026-01-01T00:00:00Z\"}}",
        b"{\"statuses\":[{\"id_str\":\"1\",\"created_at\":\"Thu Nov 08 02:31:41 +0000 99999\",\"text\":\"\",\"user\":{\"id_str\":\"2\"}}]}",
        b"{\"object\":\"page\",\"entry\":[{\"messaging\":[{\"sender\":{},\"message\":{\"mid\":1}}]}]}",
        b"{\"update_id\":1,\"message\":{\"chat\":{\"id\":\"x\"}}}",
        b"{\"update_id\":1,\"message\":{\"chat\":{\"id\":1},\"message_id\":2,\"date\":99999999999999,\"from\":{\"id\":3}}}",
        b"[1,2,3]",
        b"{\"object\":\"instagram\",\"entry\":7}",
    ];
    for body in cases {
        for format in [
            Format::Whatsapp,
            Format::Messenger,
            Format::Instagram,
            Format::Telegram,
            Format::XV1,
            Format::XActivity,
            Format::Mastodon,
            Format::Reddit,
            Format::Discourse,
        ] {
            for d in decode(body, format, &DecodeOptions::default()).unwrap() {
                if let Err(e) = d.result {
                    assert!(!e.reason.is_empty());
                }
            }
        }
    }
}

#[test]
fn every_email_fixture_is_read_or_rejected_with_a_reason() {
    let all = platform_fixtures("email_rfc5322");
    let mut read = 0;
    for (name, records) in &all {
        assert_eq!(records.len(), 1, "{name}");
        match &records[0].result {
            Ok(m) => {
                read += 1;
                assert_eq!(m.channel, earshot_core::ChannelKind::Email, "{name}");
                assert!(m.author.external_id.contains('@'), "{name}");
                assert!(!m.text.trim().is_empty(), "{name}");
            }
            Err(e) => {
                assert!(!e.reason.is_empty(), "{name}");
                eprintln!("{name}: rejected, {} ({})", e.reason, e.code);
            }
        }
    }
    if !all.is_empty() {
        // Many of these are MIME test cases without a sender or a date, which a care inbox
        // cannot place; the ordinary mails among them are read.
        assert!(read >= 10, "{read} of {} read", all.len());
        let get = |n: &str| {
            all.iter().find(|(f, _)| f == n).unwrap().1[0]
                .result
                .clone()
        };
        let m = get("legacy_000.eml").unwrap();
        assert_eq!(
            m.external_id,
            "NDBBIAKOPKHFGPLCODIGKEKECHAA.doug@example.com"
        );
        let png = &m.attachments[0];
        assert_eq!(
            (
                png.kind.as_str(),
                png.name.as_deref(),
                png.mime_type.as_deref()
            ),
            ("image", Some("redball.png"), Some("image/png")),
            "{:?}",
            m.attachments
        );
        assert!(png.size.unwrap() > 100);
        assert!(get("rfc_002.eml").unwrap_err().reason.contains("Date"));
    }
}

/// Found by the email fuzz target: the MIME parser debug-asserts on this multipart. It is a
/// reject with a reason, not a panic that would stop the mailbox poller.
#[test]
fn a_multipart_the_mime_parser_trips_on_is_a_reject() {
    let bytes = include_bytes!("data/multipart_parser_assert.eml");
    let decoded = earshot_channels::email::decode_eml(bytes, "care@acme.test");
    if let Err(e) = &decoded[0].result {
        assert!(!e.reason.is_empty());
    }
}

/// Every fixture of the public networks is detected as its network's document (as `earshot
/// ingest` detects it, from the first 8 KiB) and read as one document: each message decodes
/// or is reported with its reason — never as a file of JSON lines that rejects every line.
#[test]
fn every_public_network_fixture_decodes_or_says_why() {
    let expect: &[(&str, &[Format])] = &[
        ("x_twitter", &[Format::XV2]),
        ("x_twitter/account_activity", &[Format::XActivity]),
        ("mastodon", &[Format::Mastodon]),
        ("reddit", &[Format::Reddit]),
        ("discourse", &[Format::Discourse]),
    ];
    let mut stored = 0;
    for (dir, formats) in expect {
        let Some(root) = fixture(dir) else { return };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            let format = detect(&path, &bytes[..bytes.len().min(8192)])
                .unwrap_or_else(|| panic!("{} not detected", path.display()));
            assert!(formats.contains(&format), "{}: {format:?}", path.display());
            let records = decode_file(&path, format, Some("brand"));
            assert!(
                !records.is_empty(),
                "{}: nothing decoded or reported",
                path.display()
            );
            assert!(
                records.len() <= 40,
                "{}: {} records: read as lines?",
                path.display(),
                records.len()
            );
            for r in &records {
                if let Err(e) = &r.result {
                    assert!(
                        !e.reason.is_empty(),
                        "{}: a reject without a reason",
                        path.display()
                    );
                }
            }
            stored += records.iter().filter(|r| r.result.is_ok()).count();
        }
    }
    assert!(stored >= 20, "only {stored} messages from all the fixtures");
}

/// v1.1 status objects and search results (the format the Account Activity API and the
/// standard search still use) keep their author's handle and followers; a pretty-printed
/// document is one document.
#[test]
fn v1_statuses_and_search_results_keep_their_authors() {
    let status = serde_json::json!({"created_at": "Thu Nov 08 02:31:41 +0000 2012",
        "id_str": "266367358078169089", "text": "@brand my order #1042 is late",
        "in_reply_to_status_id_str": null,
        "user": {"id_str": "7", "screen_name": "dana", "name": "Dana Ruiz", "followers_count": 310, "verified": true}});
    let search = serde_json::json!({"statuses": [status.clone(), {"created_at": "Thu Nov 08 02:40:00 +0000 2012",
        "id_str": "266367358078169100", "text": "@dana on it", "in_reply_to_status_id_str": "266367358078169089",
        "user": {"id_str": "100", "screen_name": "Brand"}}], "search_metadata": {"count": 2}});
    let pretty = serde_json::to_string_pretty(&search).unwrap();
    let path = PathBuf::from("search.json");
    assert_eq!(detect(&path, pretty.as_bytes()), Some(Format::XV1));
    let options = DecodeOptions {
        account: Some("@brand".into()),
    };
    let records: Vec<_> = decode(pretty.as_bytes(), Format::XV1, &options)
        .unwrap()
        .collect();
    assert_eq!(records.len(), 2, "{records:?}");
    let first = records[0].result.as_ref().unwrap();
    assert_eq!(records[0].location, Location::Path("statuses[0]".into()));
    assert_eq!(first.author.handle.as_deref(), Some("dana"));
    assert_eq!(first.author.followers, Some(310));
    assert!(first.author.verified);
    assert_eq!(first.direction, Direction::In);
    let answer = records[1].result.as_ref().unwrap();
    assert_eq!(
        answer.direction,
        Direction::Out,
        "the brand's handle, any case"
    );
    assert_eq!(answer.in_reply_to.as_deref(), Some("266367358078169089"));
    let one = serde_json::to_string_pretty(&status).unwrap();
    assert_eq!(detect(&path, one.as_bytes()), Some(Format::XV1));
    // A pretty-printed document no decoder knows is not guessed to be JSON lines.
    assert_eq!(detect(&path, b"{\n  \"hello\": 1\n}\n"), None);
}
