//! The Mastodon, Reddit and Discourse decoders on arbitrary bytes: as a Discourse webhook
//! body, and as imported files (Mastodon entities and streaming events, Reddit listings,
//! Discourse posts): each record decodes or is rejected with a reason, never a panic.
#![no_main]

use earshot_channels::webhook::decode;
use earshot_channels::{DecodeOptions, Format};
use earshot_core::connector::Connector;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let settings: serde_json::Map<String, serde_json::Value> =
        serde_json::json!({"api_username": "acme"}).as_object().cloned().unwrap_or_default();
    if let Ok(batch) = decode(Connector::Discourse, data, "forum", &settings) {
        let _ = batch.summary();
    }
    let options = DecodeOptions {
        account: Some("acme".into()),
    };
    for format in [Format::Mastodon, Format::Reddit, Format::Discourse] {
        for d in earshot_channels::decode(data, format, &options).unwrap() {
            if let Err(e) = d.result {
                assert!(!e.reason.is_empty());
            }
        }
    }
});
