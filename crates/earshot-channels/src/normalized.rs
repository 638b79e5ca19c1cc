//! Earshot's normalized JSONL: one [`Inbound`](earshot_core::Inbound) object per line.
//! Blank lines are skipped; every other line is a record.

use crate::{read_line, DecodeOptions, Decoded, Location, Reject, MAX_LINE_BYTES};
use earshot_core::Inbound;
use std::io::BufRead;

pub fn decode<R: BufRead>(mut reader: R, options: DecodeOptions) -> impl Iterator<Item = Decoded> {
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    let mut finished = false;
    std::iter::from_fn(move || loop {
        if finished {
            return None;
        }
        line_no += 1;
        let location = Location::Line(line_no);
        let line = match read_line(&mut reader, &mut buf) {
            Ok(None) => return None,
            Err(e) => {
                // An I/O error ends the file; it is reported once, as a record.
                finished = true;
                let reject = Reject::new("read_error", format!("could not read the file: {e}"));
                return Some(Decoded {
                    location,
                    result: Err(reject),
                });
            }
            Ok(Some(Err(len))) => {
                let reason =
                    format!("line is {len} bytes, longer than the {MAX_LINE_BYTES}-byte limit");
                return Some(Decoded {
                    location,
                    result: Err(Reject::new("line_too_long", reason)),
                });
            }
            Ok(Some(Ok(()))) => &buf,
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        return Some(Decoded {
            location,
            result: parse_line(line, &options),
        });
    })
}

/// Parses one normalized record.
pub fn parse_line(line: &[u8], options: &DecodeOptions) -> Result<Inbound, Reject> {
    let text = std::str::from_utf8(line).map_err(|e| {
        Reject::new(
            "invalid_utf8",
            format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        )
    })?;
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Reject::new("invalid_json", format!("not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(Reject::new(
            "invalid_json",
            "expected a JSON object for a message",
        ));
    }
    let mut inbound = Inbound::from_json(value)?;
    if inbound.account.is_none() {
        inbound.account = options.account.clone();
    }
    Ok(inbound)
}
