//! The email decoder on arbitrary bytes, as one message and as an mbox: it rejects with a
//! reason, never panics.
#![no_main]

use earshot_channels::email::{decode_eml, decode_mbox};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for d in decode_eml(data, "care@acme.test")
        .into_iter()
        .chain(decode_mbox(data, "care@acme.test"))
    {
        if let Err(e) = d.result {
            assert!(!e.reason.is_empty());
        }
    }
});
