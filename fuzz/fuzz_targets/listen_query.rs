//! Any input to the listening query parser gives a query or a positioned error, never a
//! panic or a hang; a query that parses can be evaluated on any post (here, the input itself).
#![no_main]

use earshot_listen::{parse, Post};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text) {
        Ok(query) => {
            let _ = query.matches(&Post::new(text));
        }
        Err(e) => assert!(e.column >= 1 && e.column <= text.chars().count() + 1, "{e}"),
    }
});
