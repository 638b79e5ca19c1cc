//! The web chat widget's message on arbitrary bytes, as the server reads a post (JSON, then
//! the field checks) and as the webhook worker decodes a kept one: every problem is named,
//! nothing panics, and what the checks keep always decodes into a valid message.
#![no_main]

use earshot_channels::webchat::{decode, ChatPost};
use earshot_channels::webhook;
use earshot_core::connector::Connector;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(post) = serde_json::from_slice::<ChatPost>(data) {
        match post.check(earshot_core::time::now()) {
            Ok(kept) => {
                let value = serde_json::to_value(&kept).unwrap();
                let batch = decode(&value, "site chat");
                let m = batch.messages[0].result.as_ref().expect("a checked message decodes");
                m.validate().expect("a checked message is valid");
            }
            Err(problems) => assert!(problems.iter().all(|(f, m)| !f.is_empty() && !m.is_empty())),
        }
    }
    if let Ok(batch) = webhook::decode(Connector::WebChat, data, "site chat", &Default::default()) {
        let _ = batch.summary();
    }
});
