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

/// Twitter US Airline Sentiment CSV: `airline_sentiment` and `text` columns.
pub fn airline(path: &Path) -> Result<Vec<Example>, DataError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(path, e.to_string()))?;
    let headers = reader
        .headers()
        .map_err(|e| bad(path, e.to_string()))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| bad(path, format!("no `{name}` column")))
    };
    let (sentiment, text) = (col("airline_sentiment")?, col("text")?);
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let r = record.map_err(|e| bad(path, e.to_string()))?;
        let label = match &r[sentiment] {
            "negative" => 0,
            "neutral" => 1,
            "positive" => 2,
            other => return Err(bad(path, format!("record {}: sentiment `{other}`", i + 1))),
        };
        out.push((r[text].to_string(), label));
    }
    Ok(out)
}
