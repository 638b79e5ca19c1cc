//! The telegram webhook decoder on arbitrary bytes, as a webhook body and as an imported file
//! (comments stripped): it rejects or ignores with a reason, never panics.
#![no_main]

use earshot_channels::webhook::{decode, decode_file};
use earshot_channels::{DecodeOptions, Format};
use earshot_core::connector::Connector;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = decode(Connector::Telegram, data, "acme", &Default::default()) {
        let _ = batch.summary();
    }
    for d in decode_file(Format::Telegram, data, &DecodeOptions::default()) {
        if let Err(e) = d.result {
            assert!(!e.reason.is_empty());
        }
    }
});
