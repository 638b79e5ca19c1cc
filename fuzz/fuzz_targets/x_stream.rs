//! X's filtered stream on arbitrary bytes: split into lines at arbitrary chunk boundaries
//! (the first byte chooses where), each line decoded as the stream's post, keep-alive or
//! notice — never a panic, every refused post with a reason. The same bytes as a listening
//! query compile to X's rule language and pack within the rule length.
#![no_main]

use earshot_channels::x_stream::{decode_line, Line, Lines};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let step = usize::from(data.first().copied().unwrap_or(1)).max(1);
    let mut lines = Lines::default();
    for chunk in data.chunks(step) {
        for line in lines.push(chunk) {
            if let Line::Post(d) = decode_line(&line, Some("acme")) {
                if let Err(e) = d.result {
                    assert!(!e.reason.is_empty());
                }
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(q) = earshot_listen::parse(text) {
            let rule = earshot_listen::x_rules::compile(&q);
            let packing = earshot_listen::x_rules::pack(&[(0, rule)], 10, 200);
            assert!(packing.rules.iter().all(|r| r.chars().count() <= 200));
            assert_eq!(packing.placed + packing.unplaced.len() + packing.not_x, 1);
        }
    }
});
