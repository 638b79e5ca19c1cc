//! The figures the model cards report, computed one way for `earshot eval`, `earshot train`
//! and the tests: each learned model alone on its held-out split, and each intent as the
//! enrich stage decides it (model, rules and sentiment together) on every labelled set that
//! says something about it.

use crate::data::{airline, bitext, clinc150, holdout, tweeteval, DataError, Example};
use crate::enrich::Understanding;
use crate::linear::LinearModel;
use crate::metrics::Confusion;
use crate::recipes::Learned;
use std::path::Path;

/// One evaluation: what was measured, on which split, and the confusion matrix.
pub struct Report {
    pub what: String,
    pub split: String,
    pub confusion: Confusion,
}

/// A learned model alone on its held-out split.
pub fn learned(kind: Learned, model: &LinearModel, data: &Path) -> Result<Report, DataError> {
    let (split, dev) = kind.dev_set(data)?;
    let mut confusion = Confusion::new(kind.labels());
    for (text, truth) in &dev {
        confusion.add(*truth, model.predict(text));
    }
    Ok(Report {
        what: format!("{} model alone", kind.name()),
        split: split.to_string(),
        confusion,
    })
}

fn intent_on(u: &Understanding, intent: &str, split: &str, examples: &[Example]) -> Report {
    let mut confusion = Confusion::new(&["other", intent]);
    for (text, truth) in examples {
        confusion.add(*truth, usize::from(u.enrich(text).has_intent(intent)));
    }
    Report {
        what: format!("{intent} (enrich stage)"),
        split: split.to_string(),
        confusion,
    }
}

/// Every intent as the enrich stage decides it, on the labelled sets that bear on it. Sets
/// where every text is of one kind (CLINC150 requests are all questions or requests; TweetEval
/// has no intent labels) give a recall or a flag rate only; the model card says so.
pub fn intents(u: &Understanding, data: &Path) -> Result<Vec<Report>, DataError> {
    let mut out = Vec::new();
    for kind in [
        Learned::Complaint,
        Learned::Question,
        Learned::Suggestion,
        Learned::ChurnRisk,
        Learned::Spam,
    ] {
        let (split, dev) = kind.dev_set(data)?;
        out.push(intent_on(u, kind.name(), split, &dev));
    }
    // The held-out airline tweets, read once: praise is the positive ones against the rest;
    // complaint recall per negative reason.
    let airline = holdout(&airline(&data.join("sentiment/airline/train.csv"))?).1;
    let praise: Vec<Example> = airline
        .iter()
        .map(|t| (t.text.clone(), usize::from(t.sentiment == 2)))
        .collect();
    out.push(intent_on(
        u,
        "praise",
        "airline-holdout-20 (positive = praise)",
        &praise,
    ));
    let mut reasons: Vec<&str> = airline
        .iter()
        .filter(|t| t.is_complaint())
        .map(|t| t.reason.as_str())
        .collect();
    reasons.sort();
    reasons.dedup();
    for reason in reasons {
        let of: Vec<Example> = airline
            .iter()
            .filter(|t| t.is_complaint() && t.reason == reason)
            .map(|t| (t.text.clone(), 1))
            .collect();
        out.push(intent_on(
            u,
            "complaint",
            &format!("airline-holdout-20, reason `{reason}` (recall only)"),
            &of,
        ));
    }
    // Questions and requests out of scope of CLINC150's intents are still requests.
    let oos: Vec<Example> = clinc150(&data.join("intent/clinc150/train_val.json"), "oos_val")?
        .into_iter()
        .map(|(t, _)| (t, 1))
        .collect();
    out.push(intent_on(
        u,
        "question",
        "CLINC150 oos_val (recall only)",
        &oos,
    ));
    // Purchase intent: Bitext place_order (machine-generated; recall only).
    let orders: Vec<Example> = bitext(&data.join("intent/bitext/customer_support_27_intents.csv"))?
        .into_iter()
        .filter(|(_, i)| i == "place_order")
        .map(|(t, _)| (t, 1))
        .collect();
    out.push(intent_on(
        u,
        "purchase_intent",
        "Bitext place_order (generated; recall only)",
        &orders,
    ));
    // Flag rates on ordinary tweets, where every intent should be the exception.
    let tweets: Vec<Example> = tweeteval(&data.join("sentiment/tweeteval"), "val")?
        .into_iter()
        .map(|(t, _)| (t, 0))
        .collect();
    for intent in crate::intents::INTENTS {
        out.push(intent_on(
            u,
            intent,
            "TweetEval val (no intent labels: flag rate only)",
            &tweets,
        ));
    }
    Ok(out)
}

impl Report {
    /// One line: F1 and precision/recall when both classes occur; otherwise recall or the
    /// share flagged.
    pub fn summary(&self) -> String {
        let c = &self.confusion;
        let positives: u64 = c.counts[1].iter().sum();
        let negatives: u64 = c.counts[0].iter().sum();
        if positives > 0 && negatives > 0 {
            format!(
                "F1 {:.3} (precision {:.3}, recall {:.3}; {} positive of {})",
                c.f1(1),
                c.precision(1),
                c.recall(1),
                positives,
                positives + negatives
            )
        } else if positives > 0 {
            format!("recall {:.3} ({} texts)", c.recall(1), positives)
        } else {
            format!(
                "flagged {:.1}% ({} of {} texts)",
                100.0 * c.counts[0][1] as f64 / negatives.max(1) as f64,
                c.counts[0][1],
                negatives
            )
        }
    }
}

/// Short customer messages in 12 languages (six each, written for the language comparison)
/// and 8 with no language evidence: `code<TAB>text`.
pub const SHORT_SOCIAL: &str = include_str!("../data/short_social.tsv");

/// Language detection: the share of TweetEval val (all English) detected as English, and
/// the short multilingual set, with every miss listed.
pub fn language(data: &Path) -> Result<String, DataError> {
    use crate::language::detect;
    use std::fmt::Write;
    let tweets = tweeteval(&data.join("sentiment/tweeteval"), "val")?;
    let english = tweets
        .iter()
        .filter(|(t, _)| detect(t).code == "en")
        .count();
    let unknown = tweets
        .iter()
        .filter(|(t, _)| detect(t).code == "unknown")
        .count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "TweetEval val (English): {:.1}% detected as en, {:.1}% unknown ({} tweets)",
        100.0 * english as f64 / tweets.len() as f64,
        100.0 * unknown as f64 / tweets.len() as f64,
        tweets.len()
    );
    let (mut right, mut total) = (0, 0);
    let mut misses = Vec::new();
    for (code, text) in SHORT_SOCIAL.lines().filter_map(|l| l.split_once('\t')) {
        total += 1;
        let got = detect(text).code;
        if got == code {
            right += 1;
        } else {
            misses.push(format!("{code} read as {got}: {text}"));
        }
    }
    let _ = writeln!(
        out,
        "short messages, 12 languages and no-evidence texts: {right}/{total}"
    );
    for m in misses {
        let _ = writeln!(out, "  miss: {m}");
    }
    Ok(out)
}
