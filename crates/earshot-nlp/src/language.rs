//! Language of short, noisy social text, by `whatlang` (trigram and script based; chosen over
//! `lingua` by the measured comparison in `tools/langid-compare`, see `models/language.md`).
//!
//! Mentions, links and hashtag marks are removed first (they are not language); a text with
//! fewer than two letters left, or one whatlang finds no language in, is `unknown`. A Latin
//! script guess that whatlang itself calls unreliable on a short text is also `unknown`,
//! unless English function words are there to tip it.

/// A language as an ISO 639-1 code (`en`), or ISO 639-3 where there is none; with whatlang's
/// confidence from 0 to 1. `unknown` has confidence 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Language {
    pub code: &'static str,
    pub confidence: f32,
}

impl Language {
    pub const UNKNOWN: Language = Language {
        code: "unknown",
        confidence: 0.0,
    };
}

fn clean(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| {
            !w.starts_with('@')
                && !w.starts_with("http://")
                && !w.starts_with("https://")
                && !w.starts_with("www.")
        })
        .map(|w| w.trim_start_matches('#'))
        .collect::<Vec<_>>()
        .join(" ")
}

fn iso639_1(lang: whatlang::Lang) -> &'static str {
    use whatlang::Lang::*;
    match lang {
        Epo => "eo",
        Eng => "en",
        Rus => "ru",
        Cmn => "zh",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Ben => "bn",
        Fra => "fr",
        Deu => "de",
        Ukr => "uk",
        Kat => "ka",
        Ara => "ar",
        Hin => "hi",
        Jpn => "ja",
        Heb => "he",
        Yid => "yi",
        Pol => "pl",
        Amh => "am",
        Jav => "jv",
        Kor => "ko",
        Nob => "nb",
        Dan => "da",
        Swe => "sv",
        Fin => "fi",
        Tur => "tr",
        Nld => "nl",
        Hun => "hu",
        Ces => "cs",
        Ell => "el",
        Bul => "bg",
        Bel => "be",
        Mar => "mr",
        Kan => "kn",
        Ron => "ro",
        Slv => "sl",
        Hrv => "hr",
        Srp => "sr",
        Mkd => "mk",
        Lit => "lt",
        Lav => "lv",
        Est => "et",
        Tam => "ta",
        Vie => "vi",
        Urd => "ur",
        Tha => "th",
        Guj => "gu",
        Uzb => "uz",
        Pan => "pa",
        Aze => "az",
        Ind => "id",
        Tel => "te",
        Pes => "fa",
        Mal => "ml",
        Ori => "or",
        Mya => "my",
        Nep => "ne",
        Sin => "si",
        Khm => "km",
        Tuk => "tk",
        Aka => "ak",
        Zul => "zu",
        Sna => "sn",
        Afr => "af",
        Lat => "la",
        Slk => "sk",
        Cat => "ca",
        Tgl => "tl",
        Hye => "hy",
    }
}

/// The languages Earshot tells apart: whatlang's 69 confuse close pairs on short texts
/// (Dutch read as Afrikaans, Hindi as Marathi, Russian as Bulgarian), and every language left
/// out makes the others faster and surer (measured in `models/language.md`).
static DETECTOR: std::sync::LazyLock<whatlang::Detector> = std::sync::LazyLock::new(|| {
    use whatlang::Lang::*;
    whatlang::Detector::with_allowlist(vec![
        Eng, Spa, Fra, Deu, Por, Ita, Nld, Ara, Cmn, Hin, Jpn, Rus, Tur, Ind, Kor, Pol, Ukr, Swe,
        Dan, Nob, Fin, Ces, Ron, Ell, Heb, Vie, Tha, Pes, Ben, Urd,
    ])
});

/// English words frequent enough in tweets that two of them are evidence on their own.
const ENGLISH: &[&str] = &[
    "the", "and", "you", "for", "is", "are", "my", "to", "of", "it", "in", "on", "me", "this",
    "that", "with", "i", "i'm", "at", "be", "have", "not", "your", "just", "was", "will", "so",
    "but", "what", "can", "get", "all", "we", "no", "do", "out", "up", "from",
];

/// English words that are not also common words of the other Latin-script languages (no
/// `me`, `no`, `is`, `in`, `do`, `so`): two of them in an all-ASCII text settle it.
const ENGLISH_ONLY: &[&str] = &[
    "the", "and", "you", "for", "are", "my", "to", "of", "it", "this", "that", "with", "i", "i'm",
    "have", "not", "your", "just", "was", "will", "but", "what", "can", "get", "all", "we", "out",
    "from", "they", "been", "would", "about", "when", "why", "how", "there", "their",
];

/// Fast path: most messages a care team sees are English, and whatlang's trigram scoring is
/// the slowest enricher; an all-ASCII text with two distinct English-only function words is
/// English without it (measured in `models/language.md`).
fn plainly_english(cleaned: &str) -> bool {
    if !cleaned.is_ascii() {
        return false;
    }
    let mut seen: [bool; 64] = [false; 64];
    let mut distinct = 0;
    for w in cleaned.split(|c: char| !c.is_ascii_alphanumeric() && c != '\'') {
        if w.is_empty() || w.len() > 6 {
            continue;
        }
        let lower = w.to_ascii_lowercase();
        if let Some(k) = ENGLISH_ONLY.iter().position(|e| *e == lower) {
            if !seen[k] {
                seen[k] = true;
                distinct += 1;
                if distinct >= 2 {
                    return true;
                }
            }
        }
    }
    false
}

pub fn detect(text: &str) -> Language {
    let cleaned = clean(text);
    if cleaned.chars().filter(|c| c.is_alphabetic()).count() < 2 {
        return Language::UNKNOWN;
    }
    if plainly_english(&cleaned) {
        return Language {
            code: "en",
            confidence: 0.9,
        };
    }
    let Some(info) = DETECTOR.detect(&cleaned) else {
        return Language::UNKNOWN;
    };
    let english_words = cleaned
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| ENGLISH.contains(&w.to_lowercase().as_str()))
        .count();
    if info.lang() != whatlang::Lang::Eng
        && info.script() == whatlang::Script::Latin
        && english_words >= 2
        && !info.is_reliable()
    {
        return Language {
            code: "en",
            confidence: 0.5,
        };
    }
    Language {
        code: iso639_1(info.lang()),
        confidence: info.confidence() as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_languages_and_no_evidence() {
        assert_eq!(
            detect("@delta my bag is lost and nobody helps me").code,
            "en"
        );
        assert_eq!(
            detect("Mon colis n'est toujours pas arrivé, je fais comment ?").code,
            "fr"
        );
        assert_eq!(detect("注文した商品がまだ届きません").code, "ja");
        for nothing in [
            "",
            "😡😡😡",
            "@delta",
            "https://t.co/x",
            "12345",
            "!!!",
            "\u{0}",
        ] {
            assert_eq!(detect(nothing), Language::UNKNOWN, "{nothing:?}");
        }
    }
}
