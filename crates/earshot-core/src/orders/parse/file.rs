//! Order files, read one record at a time: CSV (with Shopify's export columns) and JSON
//! lines. See the [parent module](super) for the fields.

use super::{from_value, shopify_status, validate, ItemInput, OrderInput, Scalar};
use crate::identifiers::normalize_typed_phone;
use crate::orders::{NewOrder, OrderError};
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// Longest JSON line read; a longer one is an error and is skipped.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The formats of an order file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// A header row of field names, then one order per row.
    Csv,
    /// One JSON order object per line; blank lines are skipped.
    JsonLines,
}

impl FileFormat {
    /// By extension: `.csv`; `.jsonl`, `.ndjson` or `.json` (one object per line).
    pub fn from_path(p: &Path) -> Option<FileFormat> {
        let ext = p.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Self::Csv),
            "jsonl" | "ndjson" | "json" => Some(Self::JsonLines),
            _ => None,
        }
    }
}

/// Where each field is in a CSV header.
#[derive(Default)]
struct Columns {
    id: Option<usize>,
    number: Option<usize>,
    email: Option<usize>,
    phone: Option<usize>,
    billing_phone: Option<usize>,
    customer_id: Option<usize>,
    placed_at: Option<usize>,
    amount: Option<usize>,
    currency: Option<usize>,
    status: Option<usize>,
    financial: Option<usize>,
    fulfillment: Option<usize>,
    cancelled_at: Option<usize>,
    items: Option<usize>,
    item_name: Option<usize>,
    item_quantity: Option<usize>,
    item_price: Option<usize>,
    item_sku: Option<usize>,
    updated_at: Option<usize>,
    /// A Shopify export (it has Shopify's own columns): national phones are dropped.
    shopify: bool,
}

impl Columns {
    fn new(header: &csv::StringRecord) -> Self {
        let names: Vec<String> = header
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_lowercase())
            .collect();
        let find = |aliases: &[&str]| {
            aliases
                .iter()
                .find_map(|a| names.iter().position(|n| n == a))
        };
        let mut c = Columns {
            id: find(&["id"]),
            number: find(&["number", "name"]),
            email: find(&["email"]),
            phone: find(&["phone"]),
            billing_phone: find(&["billing phone"]),
            customer_id: find(&["customer_id", "customer id"]),
            placed_at: find(&["placed_at", "created at"]),
            amount: find(&["amount", "total"]),
            currency: find(&["currency"]),
            status: find(&["status"]),
            financial: find(&["financial status"]),
            fulfillment: find(&["fulfillment status"]),
            cancelled_at: find(&["cancelled at"]),
            items: find(&["items"]),
            item_name: find(&["lineitem name"]),
            item_quantity: find(&["lineitem quantity"]),
            item_price: find(&["lineitem price"]),
            item_sku: find(&["lineitem sku"]),
            updated_at: find(&["updated_at"]),
            shopify: false,
        };
        c.shopify = c.financial.is_some() || c.item_name.is_some();
        c
    }

    /// The first required column the header lacks.
    fn missing(&self) -> Option<(&'static str, &'static str)> {
        [
            (self.id, "id", "`id` (or Shopify's `Id`)"),
            (self.placed_at, "placed_at", "`placed_at` (or `Created at`)"),
            (self.amount, "amount", "`amount` (or `Total`)"),
            (self.currency, "currency", "`currency`"),
        ]
        .into_iter()
        .find(|(col, _, _)| col.is_none())
        .map(|(_, field, names)| (field, names))
    }

    fn row(&self, r: &csv::StringRecord, line: usize) -> Result<OrderInput, OrderError> {
        let cell = |i: Option<usize>| {
            i.and_then(|i| r.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let scalar = |i: Option<usize>| cell(i).map(Scalar::from);
        let phone = if self.shopify {
            [cell(self.phone), cell(self.billing_phone)]
                .into_iter()
                .flatten()
                .find_map(normalize_typed_phone)
                .map(|digits| Scalar::from(format!("+{digits}")))
        } else {
            scalar(self.phone)
        };
        let status = match (cell(self.status), self.financial) {
            (Some(s), _) => Some(Scalar::from(s)),
            (None, Some(_)) => {
                let st = shopify_status(
                    cell(self.financial),
                    cell(self.fulfillment),
                    cell(self.cancelled_at).is_some(),
                )
                .map_err(|message| OrderError {
                    line: Some(line),
                    field: "status".into(),
                    code: "unknown_status",
                    message,
                })?;
                Some(Scalar::from(st.as_str()))
            }
            (None, None) => None,
        };
        let mut items: Vec<ItemInput> = cell(self.items).map(items_cell).unwrap_or_default();
        if let Some(name) = cell(self.item_name) {
            items.push(ItemInput {
                name: Some(name.into()),
                quantity: scalar(self.item_quantity),
                sku: scalar(self.item_sku),
                price: scalar(self.item_price),
            });
        }
        Ok(OrderInput {
            id: scalar(self.id),
            number: scalar(self.number),
            email: scalar(self.email),
            phone,
            customer_id: scalar(self.customer_id),
            placed_at: scalar(self.placed_at),
            amount: scalar(self.amount),
            currency: scalar(self.currency),
            status,
            items: (!items.is_empty()).then_some(items),
            updated_at: scalar(self.updated_at),
        })
    }
}

/// A CSV `items` cell: `Blue mug x2; Tea towel` (quantity 1 without `xN`).
fn items_cell(cell: &str) -> Vec<ItemInput> {
    cell.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|part| {
            let (name, quantity) = match part.rsplit_once(char::is_whitespace) {
                Some((name, last)) => match last.strip_prefix(['x', 'X', '×']) {
                    Some(q) if !q.is_empty() && q.bytes().all(|b| b.is_ascii_digit()) => {
                        (name.trim_end(), Some(Scalar::from(q)))
                    }
                    _ => (part, None),
                },
                None => (part, None),
            };
            ItemInput {
                name: Some(name.into()),
                quantity,
                ..ItemInput::default()
            }
        })
        .collect()
}

/// A row Shopify adds for another line item of the order before it: the same number, no
/// total and no date.
fn continues(prev: &OrderInput, row: &OrderInput) -> bool {
    row.number.is_some()
        && row.number == prev.number
        && (row.id.is_none() || row.id == prev.id)
        && row.amount.is_none()
        && row.placed_at.is_none()
        && row.items.is_some()
}

struct CsvSource {
    reader: csv::Reader<Box<dyn Read>>,
    /// Known once the header is read.
    columns: Option<Columns>,
    record: csv::StringRecord,
    /// A row read but not yet given out: Shopify's next rows may add items to it.
    pending: Option<(OrderInput, usize)>,
}

enum Source {
    Csv(Box<CsvSource>),
    Json {
        reader: BufReader<Box<dyn Read>>,
        line: usize,
        buf: Vec<u8>,
    },
}

/// Reads an order file one record at a time, never whole: each item is an order or the
/// error of one record (with its line: CSV data starts at line 2, JSON lines count every
/// physical line from 1). A bad record does not stop the others; an id seen twice is not an
/// error here (the later one updates the order).
pub struct OrderReader {
    source: Source,
    queue: VecDeque<Result<NewOrder, OrderError>>,
    done: bool,
}

impl OrderReader {
    pub fn new(reader: Box<dyn Read>, format: FileFormat) -> OrderReader {
        let source = match format {
            FileFormat::Csv => Source::Csv(Box::new(CsvSource {
                reader: csv::ReaderBuilder::new()
                    .has_headers(true)
                    .flexible(false)
                    .from_reader(reader),
                columns: None,
                record: csv::StringRecord::new(),
                pending: None,
            })),
            FileFormat::JsonLines => Source::Json {
                reader: BufReader::with_capacity(64 * 1024, reader),
                line: 0,
                buf: Vec::new(),
            },
        };
        OrderReader {
            source,
            queue: VecDeque::new(),
            done: false,
        }
    }

    /// Reads on until something is queued or the input ends.
    fn fill(&mut self) {
        match &mut self.source {
            Source::Csv(csv) => {
                let CsvSource {
                    reader,
                    columns,
                    record,
                    pending,
                } = &mut **csv;
                let cols = match columns {
                    Some(c) => c,
                    None => match reader.headers() {
                        Ok(h) if h.iter().all(|c| c.trim().is_empty()) => {
                            self.done = true; // an empty file holds no orders
                            return;
                        }
                        Ok(h) => {
                            let c = Columns::new(h);
                            if let Some((field, names)) = c.missing() {
                                self.queue.push_back(Err(OrderError {
                                    line: Some(1),
                                    field: field.into(),
                                    code: "missing_field",
                                    message: format!("the header (line 1) has no {names} column"),
                                }));
                                self.done = true;
                                return;
                            }
                            columns.insert(c)
                        }
                        Err(e) => {
                            self.queue.push_back(Err(record_error(1, e)));
                            self.done = true;
                            return;
                        }
                    },
                };
                let flush = |pending: &mut Option<(OrderInput, usize)>, q: &mut VecDeque<_>| {
                    if let Some((input, line)) = pending.take() {
                        q.push_back(validate(input, Some(line)));
                    }
                };
                match reader.read_record(record) {
                    Ok(true) => {
                        let line = record.position().map_or(0, |p| p.line() as usize);
                        match cols.row(record, line) {
                            Ok(row) => match pending {
                                Some((prev, _)) if cols.shopify && continues(prev, &row) => {
                                    let more = row.items.unwrap_or_default();
                                    prev.items.get_or_insert_with(Vec::new).extend(more);
                                }
                                _ => {
                                    flush(pending, &mut self.queue);
                                    *pending = Some((row, line));
                                }
                            },
                            Err(e) => {
                                flush(pending, &mut self.queue);
                                self.queue.push_back(Err(e));
                            }
                        }
                    }
                    Ok(false) => {
                        flush(pending, &mut self.queue);
                        self.done = true;
                    }
                    Err(e) => {
                        flush(pending, &mut self.queue);
                        let line = e.position().map_or(0, |p| p.line() as usize);
                        self.done = matches!(e.kind(), csv::ErrorKind::Io(_));
                        self.queue.push_back(Err(record_error(line, e)));
                    }
                }
            }
            Source::Json { reader, line, buf } => loop {
                let read = match read_line(reader, buf) {
                    Ok(Some(r)) => r,
                    Ok(None) => {
                        self.done = true;
                        return;
                    }
                    Err(e) => {
                        self.queue.push_back(Err(record_error(*line + 1, e)));
                        self.done = true;
                        return;
                    }
                };
                *line += 1;
                if let Err(len) = read {
                    let msg = format!("line is {len} bytes long; at most {MAX_LINE_BYTES}");
                    self.queue.push_back(Err(record_error(*line, msg)));
                    return;
                }
                let text = match std::str::from_utf8(buf) {
                    Ok(t) => t.trim_start_matches('\u{feff}').trim(),
                    Err(e) => {
                        self.queue.push_back(Err(record_error(*line, e)));
                        return;
                    }
                };
                if text.is_empty() {
                    continue;
                }
                let result = match serde_json::from_str::<serde_json::Value>(text) {
                    Ok(v) => from_value(v, Some(*line)),
                    Err(e) if text.starts_with('[') => Err(record_error(
                        *line,
                        format!("{e} (a .json order file holds one order object per line)"),
                    )),
                    Err(e) => Err(record_error(*line, e)),
                };
                self.queue.push_back(result);
                return;
            },
        }
    }
}

fn record_error(line: usize, e: impl fmt::Display) -> OrderError {
    OrderError {
        line: Some(line),
        field: "record".into(),
        code: "malformed_field",
        message: format!("unreadable record: {e}"),
    }
}

impl Iterator for OrderReader {
    type Item = Result<NewOrder, OrderError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            self.fill();
        }
    }
}

/// Reads one line without its `\n` (and `\r`), keeping at most [`MAX_LINE_BYTES`]: `None` at
/// the end, `Some(Err(len))` for a longer line (consumed whole).
fn read_line<R: BufRead>(r: &mut R, buf: &mut Vec<u8>) -> io::Result<Option<Result<(), usize>>> {
    buf.clear();
    let mut total = 0usize;
    loop {
        let available = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((total > 0).then_some(if total > MAX_LINE_BYTES {
                Err(total)
            } else {
                Ok(())
            }));
        }
        let end = available.iter().position(|&b| b == b'\n');
        let chunk = &available[..end.unwrap_or(available.len())];
        total += chunk.len();
        if total <= MAX_LINE_BYTES {
            buf.extend_from_slice(chunk);
        }
        let used = end.map_or(available.len(), |i| i + 1);
        r.consume(used);
        if end.is_some() {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(Some(if total > MAX_LINE_BYTES {
                Err(total)
            } else {
                Ok(())
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::OrderStatus;

    fn read(text: &str, format: FileFormat) -> Vec<Result<NewOrder, OrderError>> {
        OrderReader::new(Box::new(io::Cursor::new(text.to_owned())), format).collect()
    }

    #[test]
    fn formats_follow_the_extension() {
        let f = |p: &str| FileFormat::from_path(Path::new(p));
        assert_eq!(f("orders.CSV"), Some(FileFormat::Csv));
        for p in ["a.jsonl", "a.ndjson", "dir/a.json"] {
            assert_eq!(f(p), Some(FileFormat::JsonLines), "{p}");
        }
        assert_eq!(f("orders.xlsx"), None);
        assert_eq!(f("orders"), None);
    }

    #[test]
    fn csv_rows_become_orders() {
        let csv = "ID, Placed_At ,amount,currency,email,items,status,customer_id\n\
                   1001,2024-11-03,19.90,usd,dana@example.com,\"Blue mug, large x2; Tea towel\",,\n\
                   1002,2024-11-04 08:00:00,5,EUR,,,refunded,c-9\n";
        let out = read(csv, FileFormat::Csv);
        let a = out[0].as_ref().unwrap();
        assert_eq!((a.external_id.as_str(), a.amount_minor), ("1001", 1990));
        assert_eq!(a.items.len(), 2);
        assert_eq!(
            (a.items[0].name.as_str(), a.items[0].quantity),
            ("Blue mug, large", 2)
        );
        assert_eq!(
            (a.items[1].name.as_str(), a.items[1].quantity),
            ("Tea towel", 1)
        );
        assert_eq!(
            (a.status, a.customer_ref.as_deref()),
            (OrderStatus::Paid, None)
        );
        let b = out[1].as_ref().unwrap();
        assert_eq!(
            (b.status, b.customer_ref.as_deref()),
            (OrderStatus::Refunded, Some("c-9"))
        );
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn csv_errors_name_their_line() {
        let csv = "id,placed_at,amount,currency\n\
                   1,2024-01-01,5.00,USD\n\
                   2,2024-01-01,-5.00,USD\n\
                   3,2024-01-01,5.00\n\
                   4,2024-01-01,5.00,XYZ\n\
                   1,2024-01-02,6.00,USD\n";
        let out = read(csv, FileFormat::Csv);
        assert_eq!(out.len(), 5);
        let err = |i: usize| out[i].as_ref().unwrap_err();
        assert_eq!((err(1).line, err(1).code), (Some(3), "negative_amount"));
        assert_eq!((err(2).line, err(2).field.as_str()), (Some(4), "record"));
        assert_eq!(err(2).code, "malformed_field");
        assert_eq!((err(3).line, err(3).code), (Some(5), "unknown_currency"));
        // The same id again is no error here: the store updates the order.
        assert_eq!(out[4].as_ref().unwrap().amount_minor, 600);
    }

    #[test]
    fn a_header_without_a_required_column_is_one_error() {
        let out = read("id,amount,currency\n1,5,USD\n2,5,USD\n", FileFormat::Csv);
        assert_eq!(out.len(), 1);
        let e = out[0].as_ref().unwrap_err();
        assert_eq!(
            (e.line, e.field.as_str(), e.code),
            (Some(1), "placed_at", "missing_field")
        );
        assert!(read("", FileFormat::Csv).is_empty());
    }

    #[test]
    fn shopify_exports_are_read() {
        let csv = "\u{feff}Name,Email,Financial Status,Paid at,Fulfillment Status,Currency,Total,\
                   Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,\
                   Billing Phone,Cancelled at,Id,Phone\n\
                   #1001,dana@example.com,paid,2025-10-07 09:50:26 +0200,fulfilled,EUR,53.91,\
                   2025-10-07 09:50:26 +0200,3,\"Masque, bio\",14.90,MSK-1,+33610826417,,7410991464714,\n\
                   #1001,dana@example.com,,,,,,,1,Tea towel,9.21,,,,,\n\
                   #1002,jo@example.com,refunded,,,USD,10.00,2025-10-08 10:00:00 -0500,1,Mug,10.00,,\
                   0610826417,,7410991464715,\n\
                   #1003,,pending,,,USD,1.00,2025-10-09 10:00:00 +0000,1,Mug,1.00,,,2025-10-10,7410991464716,\n\
                   #1004,,chargeback,,,USD,1.00,2025-10-09 10:00:00 +0000,1,Mug,1.00,,,,7410991464717,\n";
        let out = read(csv, FileFormat::Csv);
        assert_eq!(out.len(), 4, "{out:?}");
        let a = out[0].as_ref().unwrap();
        assert_eq!(a.external_id, "7410991464714");
        assert_eq!(a.number.as_deref(), Some("#1001"));
        assert_eq!(a.email.as_deref(), Some("dana@example.com"));
        assert_eq!(a.phone.as_deref(), Some("33610826417"));
        assert_eq!((a.amount_minor, a.currency.as_str()), (5391, "EUR"));
        assert_eq!(a.placed_at.to_rfc3339(), "2025-10-07T07:50:26+00:00");
        assert_eq!(a.status, OrderStatus::Fulfilled);
        let items: Vec<_> = a
            .items
            .iter()
            .map(|i| (i.name.as_str(), i.quantity))
            .collect();
        assert_eq!(items, [("Masque, bio", 3), ("Tea towel", 1)]);
        assert_eq!(a.items[0].price_minor, Some(1490));
        assert_eq!(a.items[0].sku.as_deref(), Some("MSK-1"));
        let b = out[1].as_ref().unwrap();
        // A national number is dropped in a Shopify export, not refused.
        assert_eq!(
            (b.status, b.phone.as_deref()),
            (OrderStatus::Refunded, None)
        );
        assert_eq!(out[2].as_ref().unwrap().status, OrderStatus::Cancelled);
        let e = out[3].as_ref().unwrap_err();
        assert_eq!((e.line, e.code), (Some(6), "unknown_status"));
    }

    #[test]
    fn json_lines_report_the_bad_line() {
        let text =
            "{\"id\":1,\"placed_at\":\"2024-01-01\",\"amount\":\"5\",\"currency\":\"USD\"}\n\
                    \n\
                    {\"id\":2,\"placed_at\":\"2024-01-01\",\"amount\":5\n\
                    {\"id\":3,\"placed_at\":\"2024-01-01\",\"amount\":7.5,\"currency\":\"USD\"}\r\n\
                    [1]\n\
                    {\"id\":4,\"placed_at\":\"2024-01-01\",\"amount\":\"5\",\"currency\":\"XYZ\"}";
        let out = read(text, FileFormat::JsonLines);
        assert_eq!(out.len(), 5);
        assert_eq!(out[0].as_ref().unwrap().external_id, "1");
        let e = out[1].as_ref().unwrap_err();
        assert_eq!(
            (e.line, e.field.as_str(), e.code),
            (Some(3), "record", "malformed_field")
        );
        assert_eq!(out[2].as_ref().unwrap().amount_minor, 750);
        assert_eq!(out[3].as_ref().unwrap_err().line, Some(5));
        let e = out[4].as_ref().unwrap_err();
        assert_eq!((e.line, e.code), (Some(6), "unknown_currency"));
    }

    #[test]
    fn an_overlong_or_undecodable_line_is_skipped() {
        let long = format!("{{\"id\":\"{}\"}}\n", "x".repeat(MAX_LINE_BYTES));
        let mut bytes = long.into_bytes();
        bytes.extend_from_slice(b"\xff\xfe\n");
        bytes.extend_from_slice(
            b"{\"id\":9,\"placed_at\":\"2024-01-01\",\"amount\":1,\"currency\":\"USD\"}\n",
        );
        let out: Vec<_> =
            OrderReader::new(Box::new(io::Cursor::new(bytes)), FileFormat::JsonLines).collect();
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].as_ref().unwrap_err().line, Some(1));
        assert_eq!(out[1].as_ref().unwrap_err().line, Some(2));
        assert_eq!(out[2].as_ref().unwrap().external_id, "9");
    }
}
