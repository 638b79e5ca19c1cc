//! The Customer Support on Twitter (TWCS) CSV: real customer tweets and brand care replies.
//! Columns: `tweet_id, author_id, inbound, created_at, text, response_tweet_id,
//! in_response_to_tweet_id` (an unnamed index column may come first). `inbound=False` rows
//! are the brand's replies, so they become outbound messages.

use crate::{DecodeOptions, Decoded, Location, Reject};
use chrono::DateTime;
use earshot_core::{ChannelKind, ChannelRole, Direction, Inbound, InboundAuthor, Visibility};
use serde_json::{Map, Value};
use std::io::Read;

const REQUIRED: [&str; 6] = [
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "in_response_to_tweet_id",
];

struct Columns {
    names: Vec<String>,
    tweet_id: usize,
    author_id: usize,
    inbound: usize,
    created_at: usize,
    text: usize,
    in_reply_to: usize,
}

pub fn decode<R: Read>(reader: R, options: DecodeOptions) -> impl Iterator<Item = Decoded> {
    // Only `\n` ends a record: real TWCS rows carry bare carriage returns inside unquoted
    // text (row 2484 of the sample), which a CR terminator would split into broken records.
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(reader);
    let columns = csv
        .byte_headers()
        .map_err(|e| e.to_string())
        .and_then(columns);
    let mut header_error = Some(columns.as_ref().err().cloned());
    let mut record = csv::ByteRecord::new();
    let mut finished = false;
    std::iter::from_fn(move || {
        if let Some(Some(reason)) = header_error.take() {
            finished = true;
            return Some(Decoded {
                location: Location::Line(1),
                result: Err(Reject::new("bad_header", reason)),
            });
        }
        let columns = columns.as_ref().ok()?;
        if finished {
            return None;
        }
        match csv.read_byte_record(&mut record) {
            Ok(false) => None,
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                Some(Decoded {
                    location: Location::Line(line),
                    result: row(columns, &record, &options),
                })
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    finished = true;
                }
                Some(Decoded {
                    location: Location::Line(line),
                    result: Err(Reject::new("bad_csv_record", e.to_string())),
                })
            }
        }
    })
}

fn columns(header: &csv::ByteRecord) -> Result<Columns, String> {
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let find = |name: &str| {
        names.iter().position(|n| n == name).ok_or_else(|| {
            format!(
                "the header has no `{name}` column; TWCS files need {}",
                REQUIRED.join(", ")
            )
        })
    };
    Ok(Columns {
        tweet_id: find("tweet_id")?,
        author_id: find("author_id")?,
        inbound: find("inbound")?,
        created_at: find("created_at")?,
        text: find("text")?,
        in_reply_to: find("in_response_to_tweet_id")?,
        names,
    })
}

fn field<'r>(record: &'r csv::ByteRecord, index: usize, name: &str) -> Result<&'r str, Reject> {
    let bytes = record
        .get(index)
        .ok_or_else(|| Reject::new("missing_field", format!("`{name}` is missing")))?;
    // A CRLF file leaves `\r` on the last field.
    let bytes = if index + 1 == record.len() {
        bytes.strip_suffix(b"\r").unwrap_or(bytes)
    } else {
        bytes
    };
    std::str::from_utf8(bytes).map_err(|e| {
        Reject::new(
            "invalid_utf8",
            format!("`{name}` is not valid UTF-8 (byte {})", e.valid_up_to()),
        )
    })
}

/// TWCS stores ids that pandas once read as floats: `3.0` means tweet 3.
fn tweet_id(value: &str, name: &str) -> Result<String, Reject> {
    let digits = value.strip_suffix(".0").unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Reject::new(
            "invalid_id",
            format!("`{name}` is `{value}`, not a tweet id"),
        ));
    }
    Ok(digits.to_string())
}

fn row(c: &Columns, record: &csv::ByteRecord, options: &DecodeOptions) -> Result<Inbound, Reject> {
    let external_id = tweet_id(field(record, c.tweet_id, "tweet_id")?, "tweet_id")?;
    let author_id = field(record, c.author_id, "author_id")?.trim().to_string();
    let direction = match field(record, c.inbound, "inbound")? {
        "True" | "true" => Direction::In,
        "False" | "false" => Direction::Out,
        other => {
            return Err(Reject::new(
                "invalid_value",
                format!("`inbound` is `{other}`; expected True or False"),
            ))
        }
    };
    let created = field(record, c.created_at, "created_at")?;
    let created_at = DateTime::parse_from_str(created, "%a %b %d %H:%M:%S %z %Y")
        .map_err(|e| {
            Reject::new(
                "invalid_timestamp",
                format!("`created_at` is `{created}`: {e} (expected e.g. `Tue Oct 31 22:10:47 +0000 2017`)"),
            )
        })?
        .to_utc();
    let text = crate::x::tweet_text(field(record, c.text, "text")?);
    let parent = field(record, c.in_reply_to, "in_response_to_tweet_id")?.trim();
    let in_reply_to = if parent.is_empty() {
        None
    } else {
        Some(tweet_id(parent, "in_response_to_tweet_id")?)
    };

    // Brand care accounts are named (`sprintcare`); customers are anonymized numbers.
    let handle = (!author_id.bytes().all(|b| b.is_ascii_digit())).then(|| author_id.clone());
    let mut raw = Map::new();
    for (i, name) in c.names.iter().enumerate() {
        if name.is_empty() {
            continue;
        }
        let value = record
            .get(i)
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        raw.insert(name.clone(), Value::String(value.into_owned()));
    }
    let inbound = Inbound {
        channel: ChannelKind::X,
        account: options.account.clone(),
        source: ChannelRole::Owned,
        external_id,
        direction,
        visibility: Visibility::Public,
        author: InboundAuthor {
            external_id: author_id,
            handle,
            display_name: None,
            followers: None,
            verified: false,
            email: None,
            phone: None,
        },
        text,
        created_at,
        in_reply_to,
        raw: Some(Value::Object(raw)),
        automated: false,
        signature: None,
        url: None,
        attachments: Vec::new(),
    };
    inbound.validate()?;
    Ok(inbound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_str(s: &str) -> Vec<Decoded> {
        decode(s.as_bytes(), DecodeOptions::default()).collect()
    }

    const HEADER: &str =
        ",tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n";

    #[test]
    fn brand_rows_are_outbound_replies_with_float_ids_repaired() {
        let rows = decode_str(&format!(
            "{HEADER}0,1,sprintcare,False,Tue Oct 31 22:10:47 +0000 2017,@115712 I understand.,2,3.0\n\
             1,3,115712,True,Tue Oct 31 22:08:27 +0000 2017,\"@sprintcare I have sent, several\",1,\n"
        ));
        let brand = rows[0].result.as_ref().unwrap();
        assert_eq!(brand.direction, Direction::Out);
        assert_eq!(brand.in_reply_to.as_deref(), Some("3"));
        assert_eq!(brand.author.handle.as_deref(), Some("sprintcare"));
        assert_eq!(brand.created_at.to_rfc3339(), "2017-10-31T22:10:47+00:00");
        let customer = rows[1].result.as_ref().unwrap();
        assert_eq!(customer.direction, Direction::In);
        assert_eq!(customer.in_reply_to, None);
        assert_eq!(customer.author.handle, None);
        assert_eq!(customer.text, "@sprintcare I have sent, several");
        assert_eq!(rows[1].location, Location::Line(3));
    }

    #[test]
    fn text_is_what_the_customer_typed_and_raw_keeps_what_x_sent() {
        let rows = decode_str(&format!(
            "{HEADER}0,1,115712,True,Tue Oct 31 22:10:47 +0000 2017,\
             Coventry &amp; Birmingham &gt; delays &lt;3 &amp;lt; & fine,,\n"
        ));
        let m = rows[0].result.as_ref().unwrap();
        assert_eq!(m.text, "Coventry & Birmingham > delays <3 &lt; & fine");
        assert!(m.raw.as_ref().unwrap()["text"]
            .as_str()
            .unwrap()
            .contains("&amp; Birmingham"));
    }

    #[test]
    fn bad_rows_are_rejected_with_their_line_and_the_rest_decoded() {
        let rows = decode_str(&format!(
            "{HEADER}0,1,a,Maybe,Tue Oct 31 22:10:47 +0000 2017,hi,,\n\
             1,2,b,True,31/10/2017,hi,,\n\
             2,x9,c,True,Tue Oct 31 22:10:47 +0000 2017,hi,,\n\
             3,4,d,True,Tue Oct 31 22:10:47 +0000 2017,,,\n\
             4,5,e,True\n\
             5,6,f,True,Tue Oct 31 22:10:47 +0000 2017,fine,,\n"
        ));
        let codes: Vec<_> = rows
            .iter()
            .map(|d| d.result.as_ref().map(|_| "ok").unwrap_or_else(|r| r.code))
            .collect();
        assert_eq!(
            codes,
            [
                "invalid_value",
                "invalid_timestamp",
                "invalid_id",
                "empty_field",
                "bad_csv_record",
                "ok"
            ]
        );
        assert_eq!(rows[4].location, Location::Line(6));
    }

    #[test]
    fn carriage_returns_inside_text_and_crlf_line_ends_are_not_record_ends() {
        let rows = decode_str(&format!(
            "{HEADER}0,1,a,True,Tue Oct 31 22:10:47 +0000 2017,@b \r\rI just love it,,\r\n\
             1,2,b,False,Tue Oct 31 22:11:47 +0000 2017,@a thanks,,1.0\r\n"
        ));
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].result.as_ref().unwrap().text,
            "@b \r\rI just love it"
        );
        assert_eq!(
            rows[1].result.as_ref().unwrap().in_reply_to.as_deref(),
            Some("1")
        );
    }

    #[test]
    fn a_file_without_the_twcs_columns_is_one_clear_error() {
        let rows = decode_str("id,body\n1,hello\n");
        assert_eq!(rows.len(), 1);
        let reject = rows[0].result.as_ref().unwrap_err();
        assert_eq!(reject.code, "bad_header");
        assert!(reject.reason.contains("tweet_id"), "{}", reject.reason);
    }
}
