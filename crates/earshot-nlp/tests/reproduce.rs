//! Training from scratch with the default configuration gives exactly the committed model
//! (so its model card's val figures are reproducible), and the model meets its val figures.

use earshot_nlp::data::tweeteval;
use earshot_nlp::metrics::Confusion;
use earshot_nlp::sentiment::LABELS;
use earshot_nlp::{SentimentModel, TrainConfig};
use std::path::PathBuf;

const COMMITTED: &[u8] = include_bytes!("../models/sentiment.bin");

fn data() -> Option<PathBuf> {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sentiment/tweeteval");
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have ../shared: {} is missing",
        p.display()
    );
    eprintln!("SKIPPED: {} is not present", p.display());
    None
}

#[test]
fn training_from_scratch_reproduces_the_committed_model_and_its_val_figures() {
    let Some(dir) = data() else { return };
    let train = tweeteval(&dir, "train").unwrap();
    let model = SentimentModel::train(&train, &TrainConfig::default());
    assert!(
        model.to_bytes() == COMMITTED,
        "retrain with `earshot train sentiment` and update the model card"
    );

    let committed = SentimentModel::from_bytes(COMMITTED).unwrap();
    let mut confusion = Confusion::new(&LABELS);
    for (text, truth) in tweeteval(&dir, "val").unwrap() {
        confusion.add(truth, committed.predict(&text));
    }
    // The figures in models/sentiment.md.
    assert_eq!(format!("{:.3}", confusion.macro_recall()), "0.679");
    assert_eq!(format!("{:.3}", confusion.accuracy()), "0.664");
}
