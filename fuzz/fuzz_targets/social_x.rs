//! The X decoders on arbitrary bytes: as an Account Activity webhook body, and as imported
//! files (Account Activity deliveries, v1.1 statuses and search results, v2 documents): each
//! record decodes or is rejected with a reason, never a panic.
#![no_main]

use earshot_channels::webhook::decode;
use earshot_channels::{DecodeOptions, Format};
use earshot_core::connector::Connector;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = decode(Connector::X, data, "acme", &Default::default()) {
        let _ = batch.summary();
    }
    let options = DecodeOptions {
        account: Some("@acme".into()),
    };
    for format in [Format::XActivity, Format::XV1, Format::XV2] {
        for d in earshot_channels::decode(data, format, &options).unwrap() {
            if let Err(e) = d.result {
                assert!(!e.reason.is_empty());
            }
        }
    }
});
