//! Loaders for the labeled data in `../shared/data` (see its README).

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: {message}")]
    Bad { path: String, message: String },
}

fn bad(path: &Path, message: impl Into<String>) -> DataError {
    DataError::Bad {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// A text and its class index (0 negative, 1 neutral, 2 positive for sentiment).
pub type Example = (String, usize);

/// TweetEval sentiment: `{split}_text.txt` and `{split}_labels.txt`, one per line.
pub fn tweeteval(dir: &Path, split: &str) -> Result<Vec<Example>, DataError> {
    let text_path = dir.join(format!("{split}_text.txt"));
    let label_path = dir.join(format!("{split}_labels.txt"));
    let texts = std::fs::read_to_string(&text_path).map_err(|e| bad(&text_path, e.to_string()))?;
    let labels =
        std::fs::read_to_string(&label_path).map_err(|e| bad(&label_path, e.to_string()))?;
    let texts: Vec<&str> = texts.lines().collect();
    let labels: Vec<&str> = labels.lines().collect();
    if texts.len() != labels.len() {
        return Err(bad(
            &label_path,
            format!("{} labels for {} texts", labels.len(), texts.len()),
        ));
    }
    texts
        .into_iter()
        .zip(labels)
        .enumerate()
        .map(|(i, (t, l))| match l.trim() {
            "0" => Ok((t.to_string(), 0)),
            "1" => Ok((t.to_string(), 1)),
            "2" => Ok((t.to_string(), 2)),
            other => Err(bad(
                &label_path,
                format!("line {}: label `{other}` is not 0, 1 or 2", i + 1),
            )),
        })
        .collect()
}

/// Reads a CSV file with headers and calls `row` with a column lookup for each record.
fn csv_rows(
    path: &Path,
    columns: &[&str],
    mut row: impl FnMut(&[&str]) -> Result<(), String>,
) -> Result<(), DataError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(path, e.to_string()))?;
    let headers = reader
        .headers()
        .map_err(|e| bad(path, e.to_string()))?
        .clone();
    let idx: Vec<usize> = columns
        .iter()
        .map(|name| {
            headers
                .iter()
                .position(|h| h == *name)
                .ok_or_else(|| bad(path, format!("no `{name}` column")))
        })
        .collect::<Result<_, _>>()?;
    for (i, record) in reader.records().enumerate() {
        let r = record.map_err(|e| bad(path, e.to_string()))?;
        let values: Vec<&str> = idx.iter().map(|&k| r.get(k).unwrap_or("")).collect();
        row(&values).map_err(|m| bad(path, format!("record {}: {m}", i + 1)))?;
    }
    Ok(())
}

/// SemEval-2019 Task 9 (suggestion mining): `id, sentence, label` without a header; 1 is a
/// suggestion. The sentences carry an extra layer of quotes, removed here.
pub fn semeval_suggestions(path: &Path) -> Result<Vec<Example>, DataError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .map_err(|e| bad(path, e.to_string()))?;
    let mut out = Vec::new();
    // dev.csv holds a few bytes that are not UTF-8 (Windows-1252 quotes): read as lossy.
    for (i, record) in reader.byte_records().enumerate() {
        let r = record.map_err(|e| bad(path, e.to_string()))?;
        let (Some(text), Some(label)) = (
            r.get(1).map(String::from_utf8_lossy),
            r.get(2).map(String::from_utf8_lossy),
        ) else {
            return Err(bad(path, format!("record {}: needs 3 columns", i + 1)));
        };
        let label = match label.trim() {
            "0" => 0,
            "1" => 1,
            // dev.csv starts with a header line, train.csv does not.
            "label" if i == 0 => continue,
            other => {
                return Err(bad(
                    path,
                    format!("record {}: label `{other}` is not 0 or 1", i + 1),
                ))
            }
        };
        let text = text.trim();
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        out.push((text.to_string(), label));
    }
    Ok(out)
}

/// The SMS Spam Collection: `ham`/`spam`, a tab, the text; 1 is spam.
pub fn sms(path: &Path) -> Result<Vec<Example>, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| bad(path, e.to_string()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| match line.split_once('\t') {
            Some(("ham", t)) => Ok((t.to_string(), 0)),
            Some(("spam", t)) => Ok((t.to_string(), 1)),
            _ => Err(bad(
                path,
                format!("line {}: expected `ham` or `spam`, a tab, the text", i + 1),
            )),
        })
        .collect()
}

/// One tweet of the Twitter US Airline Sentiment set.
#[derive(Debug, Clone)]
pub struct AirlineTweet {
    pub text: String,
    /// 0 negative, 1 neutral, 2 positive.
    pub sentiment: usize,
    /// One of ten complaint reasons (`Late Flight`, `Lost Luggage`, …) on every negative
    /// tweet; empty otherwise.
    pub reason: String,
}

impl AirlineTweet {
    /// A complaint: every negative tweet carries a `negativereason`.
    pub fn is_complaint(&self) -> bool {
        self.sentiment == 0
    }
}

/// Twitter US Airline Sentiment CSV: `airline_sentiment`, `negativereason` and `text`.
pub fn airline(path: &Path) -> Result<Vec<AirlineTweet>, DataError> {
    let mut out = Vec::new();
    csv_rows(
        path,
        &["airline_sentiment", "negativereason", "text"],
        |v| {
            let sentiment = match v[0] {
                "negative" => 0,
                "neutral" => 1,
                "positive" => 2,
                other => return Err(format!("sentiment `{other}`")),
            };
            out.push(AirlineTweet {
                text: v[2].to_string(),
                sentiment,
                reason: v[1].to_string(),
            });
            Ok(())
        },
    )?;
    Ok(out)
}

/// BANKING77: `text, category`.
pub fn banking77(path: &Path) -> Result<Vec<(String, String)>, DataError> {
    let mut out = Vec::new();
    csv_rows(path, &["text", "category"], |v| {
        out.push((v[0].to_string(), v[1].to_string()));
        Ok(())
    })?;
    Ok(out)
}

/// Bitext customer support (machine-generated): `instruction, intent`.
pub fn bitext(path: &Path) -> Result<Vec<(String, String)>, DataError> {
    let mut out = Vec::new();
    csv_rows(path, &["instruction", "intent"], |v| {
        out.push((v[0].to_string(), v[1].to_string()));
        Ok(())
    })?;
    Ok(out)
}

/// CLINC150 `train_val.json`: one split (`train`, `val`, `oos_train`, `oos_val`) of
/// `[text, intent]` pairs.
pub fn clinc150(path: &Path, split: &str) -> Result<Vec<(String, String)>, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| bad(path, e.to_string()))?;
    let mut all: std::collections::HashMap<String, Vec<(String, String)>> =
        serde_json::from_str(&text).map_err(|e| bad(path, e.to_string()))?;
    all.remove(split)
        .ok_or_else(|| bad(path, format!("no `{split}` split")))
}

/// A deterministic split of a data set that has no dev split of its own: example `i` is held
/// out when `i % 5 == 4` (every fifth, 20%), named `<set>-holdout-20` in the model cards.
pub fn holdout<T: Clone>(all: &[T]) -> (Vec<T>, Vec<T>) {
    let (mut train, mut held) = (Vec::new(), Vec::new());
    for (i, x) in all.iter().enumerate() {
        if i % 5 == 4 {
            held.push(x.clone())
        } else {
            train.push(x.clone())
        }
    }
    (train, held)
}
