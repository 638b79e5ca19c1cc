//! Tweet-aware features, hashed into a fixed number of buckets.
//!
//! Words are lower-cased; `@user` and links become placeholders; elongations are squeezed
//! (`sooooo` → `soo`) and flagged; all-caps words are flagged; emoji and `!`/`?` are tokens;
//! words after a negator (`not`, `never`, `no`, `…n't`) up to the next punctuation get a
//! `neg_` prefix (so "not good" is not "good"). Features: word unigrams and bigrams, and
//! character 3–5-grams of each word, and the VADER lexicon's hits (`l:…`, see [`crate::lexicon`]),
//! each with weight 1, the vector L2-normalized.

/// One feature: its bucket and value.
pub type Feature = (u32, f32);

/// A token and whether it came from an all-caps or elongated word.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut negated = false;
    for raw in text.split_whitespace() {
        let lower = raw.to_lowercase();
        if lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.")
        {
            out.push("<url>".into());
            continue;
        }
        if lower.starts_with('@') && lower.len() > 1 {
            out.push("<user>".into());
            continue;
        }
        // Split off punctuation and symbols; emoji are tokens of their own.
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut Vec<String>, negated: &mut bool| {
            if word.is_empty() {
                return;
            }
            let original: String = word.clone();
            let squeezed = squeeze(&original);
            if squeezed.len() < original.len() {
                out.push("<elong>".into());
            }
            if is_negator(&squeezed) {
                *negated = true;
                out.push(squeezed);
            } else if *negated {
                out.push(format!("neg_{squeezed}"));
            } else {
                out.push(squeezed);
            }
            word.clear();
        };
        let caps = raw.chars().filter(|c| c.is_alphabetic()).count() >= 3
            && raw
                .chars()
                .filter(|c| c.is_alphabetic())
                .all(char::is_uppercase);
        if caps {
            out.push("<caps>".into());
        }
        for c in lower.chars() {
            if c.is_alphanumeric() || c == '\'' || c == '’' || c == '#' {
                word.push(if c == '’' { '\'' } else { c });
            } else {
                flush(&mut word, &mut out, &mut negated);
                if matches!(c, '.' | ',' | ';' | ':' | '!' | '?') {
                    negated = false;
                }
                if matches!(c, '!' | '?') || (c as u32) >= 0x2100 && !c.is_whitespace() {
                    out.push(c.to_string());
                }
            }
        }
        flush(&mut word, &mut out, &mut negated);
    }
    out
}

fn is_negator(w: &str) -> bool {
    matches!(
        w,
        "not"
            | "no"
            | "never"
            | "cannot"
            | "nothing"
            | "nobody"
            | "none"
            | "neither"
            | "nor"
            | "without"
    ) || w.ends_with("n't")
}

/// Runs of three or more of the same character become two.
fn squeeze(w: &str) -> String {
    let mut out = String::with_capacity(w.len());
    let mut last = None;
    let mut run = 0;
    for c in w.chars() {
        if Some(c) == last {
            run += 1;
        } else {
            run = 1;
            last = Some(c);
        }
        if run <= 2 {
            out.push(c);
        }
    }
    out
}

/// FNV-1a (64-bit) over the concatenation of `parts`: a stable hash (the model file depends
/// on it never changing), so `hash(&["w:", t])` equals `hash(&["w:t"])`.
fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Calls `f` with every feature of `text` as the parts of its name (`["w:", token]`) and, for
/// a character n-gram, the token it came from; in one fixed order: word unigrams, bigrams,
/// character n-grams, lexicon features.
fn for_each_feature(text: &str, mut f: impl FnMut(&[&str], &str)) {
    let toks = tokens(text);
    for t in &toks {
        f(&["w:", t], "");
    }
    for pair in toks.windows(2) {
        f(&["b:", &pair[0], " ", &pair[1]], "");
    }
    let mut wrapped = String::new();
    let mut bounds: Vec<usize> = Vec::new();
    for t in &toks {
        if t.starts_with('<') {
            continue;
        }
        wrapped.clear();
        wrapped.push('<');
        wrapped.push_str(t);
        wrapped.push('>');
        bounds.clear();
        bounds.extend(wrapped.char_indices().map(|(i, _)| i));
        bounds.push(wrapped.len());
        for n in 3..=5 {
            for start in 0..bounds.len().saturating_sub(n) {
                f(&["c:", &wrapped[bounds[start]..bounds[start + n]]], t);
            }
        }
    }
    crate::lexicon::features(&toks, |name| f(&[name], ""));
}

/// Calls `f` with the hash of every feature of `text`, without building their names.
fn for_each_hash(text: &str, mut f: impl FnMut(u64)) {
    for_each_feature(text, |parts, _| f(hash(parts)));
}

/// A text analysed once for every model that reads it: the hash of each feature, in
/// [`for_each_feature`]'s order; names are built only when an explanation asks
/// ([`Analysis::names_of`]).
pub struct Analysis<'a> {
    text: &'a str,
    hashes: Vec<u64>,
    /// The features in the last bucket count asked for (the intent models share one).
    features: std::cell::RefCell<Option<(u32, std::rc::Rc<Vec<Feature>>)>>,
}

impl<'a> Analysis<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut hashes = Vec::with_capacity(text.len() * 3);
        for_each_hash(text, |h| hashes.push(h));
        Self {
            text,
            hashes,
            features: std::cell::RefCell::new(None),
        }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    /// No feature at all (no word, emoji or sign): nothing to judge.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Hashed, L2-normalized features in `buckets` buckets (a power of two).
    pub fn features(&self, buckets: u32) -> std::rc::Rc<Vec<Feature>> {
        if let Some((b, f)) = &*self.features.borrow() {
            if *b == buckets {
                return f.clone();
            }
        }
        let f = std::rc::Rc::new(to_features(
            self.hashes.iter().map(|&h| (h as u32) & (buckets - 1)),
        ));
        *self.features.borrow_mut() = Some((buckets, f.clone()));
        f
    }

    /// The name of the first feature in each bucket of `wanted`, for explanations: only
    /// those names are built, in the form an agent reads ([`display`]).
    pub fn names_of(&self, buckets: u32, wanted: &[u32]) -> Vec<(u32, String)> {
        let mut out: Vec<(u32, String)> = Vec::with_capacity(wanted.len());
        let mut i = 0;
        for_each_feature(self.text, |parts, of| {
            let b = (self.hashes[i] as u32) & (buckets - 1);
            i += 1;
            if wanted.contains(&b) && !out.iter().any(|(seen, _)| *seen == b) {
                out.push((b, display(&parts.concat(), of)));
            }
        });
        out
    }
}

/// A feature's name as an explanation shows it: a negated word reads `word (negated)`, a
/// character n-gram names the word it is part of (`c:<los in lost`), placeholders and lexicon
/// features keep their names.
pub fn display(name: &str, of: &str) -> String {
    let negated = |t: &str| match t.strip_prefix("neg_") {
        Some(w) => format!("{w} (negated)"),
        None => t.to_string(),
    };
    match name.split_once(':') {
        Some(("w", t)) => format!("w:{}", negated(t)),
        Some(("b", pair)) => match pair.split_once(' ') {
            Some((a, b)) => format!("b:{} {}", negated(a), negated(b)),
            None => name.to_string(),
        },
        Some(("c", _)) if !of.is_empty() => format!("{name} in {}", negated(of)),
        _ => name.to_string(),
    }
}

/// Hashed, L2-normalized features of `text` in `buckets` buckets (a power of two).
pub fn extract(text: &str, buckets: u32) -> Vec<Feature> {
    let mut idx: Vec<u32> = Vec::with_capacity(text.len() * 3);
    for_each_hash(text, |h| idx.push((h as u32) & (buckets - 1)));
    to_features(idx)
}

fn to_features(idx: impl IntoIterator<Item = u32>) -> Vec<Feature> {
    let mut idx: Vec<u32> = idx.into_iter().collect();
    idx.sort_unstable();
    let mut out: Vec<Feature> = Vec::with_capacity(idx.len());
    for i in idx {
        match out.last_mut() {
            Some((j, v)) if *j == i => *v += 1.0,
            _ => out.push((i, 1.0)),
        }
    }
    let norm = out.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        out.iter_mut().for_each(|(_, v)| *v /= norm);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(text: &str) -> Vec<String> {
        let mut names = Vec::new();
        for_each_feature(text, |parts, _| names.push(parts.concat()));
        names
    }

    fn bucket(name: &str, buckets: u32) -> u32 {
        (hash(&[name]) as u32) & (buckets - 1)
    }

    #[test]
    fn tweets_are_tokenized_with_negation_elongation_caps_and_emoji() {
        assert_eq!(
            tokens("@Delta NOT happy, sooooo late!! 😡 http://t.co/x"),
            [
                "<user>",
                "<caps>",
                "not",
                "neg_happy",
                "<elong>",
                "soo",
                "late",
                "!",
                "!",
                "😡",
                "<url>"
            ]
        );
        assert_eq!(
            tokens("I don't like it. Love it"),
            ["i", "don't", "neg_like", "neg_it", "love", "it"]
        );
    }

    #[test]
    fn hashing_in_place_gives_the_buckets_of_the_named_features() {
        let text = "Not HAPPY with café service 😡 sooo bad";
        let mut direct = Vec::new();
        for_each_hash(text, |h| direct.push((h as u32) & ((1 << 17) - 1)));
        let by_name: Vec<u32> = named(text).iter().map(|n| bucket(n, 1 << 17)).collect();
        assert_eq!(direct, by_name);
    }

    #[test]
    fn features_are_normalized_and_stable() {
        let f = extract("great service", 1 << 17);
        let norm: f32 = f.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-4);
        assert_eq!(f, extract("great service", 1 << 17));
        assert!(extract("", 1 << 17).is_empty());
        assert!(extract("\u{0}\u{1}", 1 << 17).is_empty());
    }
}
