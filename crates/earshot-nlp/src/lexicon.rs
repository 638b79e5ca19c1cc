//! The VADER sentiment lexicon (Hutto & Gilbert, 2014; MIT licence, `lexicon/VADER-LICENSE.txt`):
//! 7,517 words, emoticons and slang with a human-rated valence from -4 to +4. Earshot uses it
//! as *features* of its learned models, not as a scorer: the model learns how much a lexicon
//! hit is worth on tweets, and negation scope flips the hit.

use std::collections::HashMap;
use std::sync::LazyLock;

static VADER: LazyLock<HashMap<&'static str, f32>> = LazyLock::new(|| {
    include_str!("../lexicon/vader.tsv")
        .lines()
        .filter_map(|line| {
            let (word, valence) = line.split_once('\t')?;
            Some((word, valence.trim().parse().ok()?))
        })
        .collect()
});

/// The valence of a lower-cased word, if the lexicon rates it.
pub fn valence(word: &str) -> Option<f32> {
    VADER.get(word).copied()
}

/// The lexicon features of a token sequence (see `features`): one `l:pos`/`l:neg` per rated
/// word (`l:pos2`/`l:neg2` too when |valence| ≥ 2), negated words counted on the other side,
/// and the net valence of the text in one of seven bins (`l:net…`), or `l:none`; nothing for
/// a text without tokens.
pub(crate) fn features(tokens: &[String], mut emit: impl FnMut(&'static str)) {
    if tokens.is_empty() {
        return;
    }
    let mut net = 0.0f32;
    let mut hits = 0;
    for t in tokens {
        let (word, flip) = match t.strip_prefix("neg_") {
            Some(w) => (w, -1.0),
            None => (t.as_str(), 1.0),
        };
        let Some(v) = valence(word).or_else(|| valence(word.trim_start_matches('#'))) else {
            continue;
        };
        // VADER scales a negated valence by -0.74; the sign is what matters to a feature.
        let v = v * flip;
        hits += 1;
        net += v;
        match (v > 0.0, v.abs() >= 2.0) {
            (true, false) => emit("l:pos"),
            (true, true) => {
                emit("l:pos");
                emit("l:pos2")
            }
            (false, false) => emit("l:neg"),
            (false, true) => {
                emit("l:neg");
                emit("l:neg2")
            }
        }
    }
    emit(match net {
        _ if hits == 0 => "l:none",
        n if n <= -3.0 => "l:net--",
        n if n <= -1.0 => "l:net-",
        n if n < 0.0 => "l:net-0",
        0.0 => "l:net0",
        n if n < 1.0 => "l:net+0",
        n if n < 3.0 => "l:net+",
        _ => "l:net++",
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lexicon_loads_and_rates_words() {
        assert!(VADER.len() > 7_000);
        assert!(valence("good").unwrap() > 1.0);
        assert!(valence("horrible").unwrap() < -2.0);
        assert_eq!(valence("flight"), None);
    }

    #[test]
    fn negation_flips_a_hit() {
        let collect = |toks: &[&str]| {
            let toks: Vec<String> = toks.iter().map(|s| s.to_string()).collect();
            let mut out = Vec::new();
            features(&toks, |f| out.push(f));
            out
        };
        assert_eq!(collect(&["good"]), ["l:pos", "l:net+"]);
        assert_eq!(collect(&["not", "neg_good"]), ["l:neg", "l:net-"]);
        assert_eq!(collect(&["flight"]), ["l:none"]);
    }
}
