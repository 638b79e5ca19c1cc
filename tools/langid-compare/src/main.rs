//! `cargo run --release -- ../../../shared/data` from this folder: accuracy and speed of
//! language detectors on English tweets (TweetEval val, 2,000) and on `short_social.tsv`
//! (72 short customer messages in 12 languages written for this comparison, and 8 with no
//! language evidence, which should come out `unknown`).

use std::time::Instant;

fn clean(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| !w.starts_with('@') && !w.starts_with("http") && !w.starts_with("www."))
        .map(|w| w.trim_start_matches('#'))
        .collect::<Vec<_>>()
        .join(" ")
}

fn letters(text: &str) -> usize {
    text.chars().filter(|c| c.is_alphabetic()).count()
}

type Detector = Box<dyn Fn(&str) -> String>;

fn wl_code(l: whatlang::Lang) -> String {
    use whatlang::Lang::*;
    match l {
        Eng => "en", Spa => "es", Fra => "fr", Deu => "de", Por => "pt", Ita => "it",
        Nld => "nl", Ara => "ar", Cmn => "zh", Hin => "hi", Jpn => "ja", Rus => "ru",
        Tur => "tr", Ind => "id", Kor => "ko", Pol => "pl",
        other => return other.code().to_string(),
    }
    .to_string()
}

fn lingua_code(l: lingua::Language) -> String {
    l.iso_code_639_1().to_string()
}

fn main() {
    let data = std::env::args().nth(1).unwrap_or("../../../shared/data".into());
    let english: Vec<String> = std::fs::read_to_string(format!(
        "{data}/sentiment/tweeteval/val_text.txt"
    ))
    .expect("TweetEval val")
    .lines()
    .map(String::from)
    .collect();
    let social: Vec<(String, String)> = include_str!("../../../crates/earshot-nlp/data/short_social.tsv")
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();

    use lingua::Language::*;
    let langs = [
        English, Spanish, French, German, Portuguese, Italian, Dutch, Arabic, Chinese, Hindi,
        Japanese, Russian, Turkish, Indonesian, Korean, Polish,
    ];
    let lingua_det = lingua::LanguageDetectorBuilder::from_languages(&langs).build();
    let lingua_low = lingua::LanguageDetectorBuilder::from_languages(&langs)
        .with_low_accuracy_mode()
        .build();
    let wl_allow = whatlang::Detector::with_allowlist(vec![
        whatlang::Lang::Eng, whatlang::Lang::Spa, whatlang::Lang::Fra, whatlang::Lang::Deu,
        whatlang::Lang::Por, whatlang::Lang::Ita, whatlang::Lang::Nld, whatlang::Lang::Ara,
        whatlang::Lang::Cmn, whatlang::Lang::Hin, whatlang::Lang::Jpn, whatlang::Lang::Rus,
        whatlang::Lang::Tur, whatlang::Lang::Ind, whatlang::Lang::Kor, whatlang::Lang::Pol,
    ]);
    fn evidence(t: &str) -> bool {
        letters(t) >= 2
    }
    use whatlang::Lang as L;
    let wl_30 = whatlang::Detector::with_allowlist(vec![
        L::Eng, L::Spa, L::Fra, L::Deu, L::Por, L::Ita, L::Nld, L::Ara, L::Cmn, L::Hin, L::Jpn,
        L::Rus, L::Tur, L::Ind, L::Kor, L::Pol, L::Ukr, L::Swe, L::Dan, L::Nob, L::Fin, L::Ces,
        L::Ron, L::Ell, L::Heb, L::Vie, L::Tha, L::Pes, L::Ben, L::Urd,
    ]);
    let detectors: Vec<(&str, Detector)> = vec![
        ("whatlang 0.16, 30 languages", Box::new(move |t: &str| {
            let t = clean(t);
            if !evidence(&t) { return "unknown".into(); }
            wl_30.detect(&t).map(|i| wl_code(i.lang())).unwrap_or("unknown".into())
        })),
        ("whatlang 0.16 (69 languages)", Box::new(move |t: &str| {
            let t = clean(t);
            if !evidence(&t) { return "unknown".into(); }
            whatlang::detect(&t).map(|i| wl_code(i.lang())).unwrap_or("unknown".into())
        })),
        ("whatlang 0.16, 16 languages", Box::new(move |t: &str| {
            let t = clean(t);
            if !evidence(&t) { return "unknown".into(); }
            wl_allow.detect(&t).map(|i| wl_code(i.lang())).unwrap_or("unknown".into())
        })),
        ("lingua 1.x, 16 languages, high accuracy", Box::new(move |t: &str| {
            let t = clean(t);
            if !evidence(&t) { return "unknown".into(); }
            lingua_det.detect_language_of(&t).map(lingua_code).unwrap_or("unknown".into())
        })),
        ("lingua 1.x, 16 languages, low accuracy", Box::new(move |t: &str| {
            let t = clean(t);
            if !evidence(&t) { return "unknown".into(); }
            lingua_low.detect_language_of(&t).map(lingua_code).unwrap_or("unknown".into())
        })),
    ];
    println!("| detector | English tweets (2,000) | 12 languages (72) | no evidence → unknown (8) | texts/s (one core) |");
    println!("|---|---|---|---|---|");
    for (name, d) in &detectors {
        // Warm up (lingua loads its models lazily), then time a second pass.
        let en = english.iter().filter(|t| d(t) == "en").count();
        let started = Instant::now();
        let _ = english.iter().filter(|t| d(t) == "en").count();
        let secs = started.elapsed().as_secs_f64();
        let langs_ok = social.iter().filter(|(l, t)| l != "unknown" && d(t) == *l).count();
        let unknown_ok = social.iter().filter(|(l, t)| l == "unknown" && d(t) == "unknown").count();
        let wrong: Vec<String> = social
            .iter()
            .filter(|(l, t)| l != "unknown" && d(t) != *l)
            .map(|(l, t)| format!("{l}→{}", d(t)))
            .collect();
        println!(
            "| {name} | {:.1}% | {langs_ok}/72 | {unknown_ok}/8 | {:.0} |",
            100.0 * en as f64 / english.len() as f64,
            english.len() as f64 / secs
        );
        eprintln!("{name} misses: {wrong:?}");
    }
}
