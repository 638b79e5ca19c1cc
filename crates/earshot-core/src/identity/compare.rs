//! Field comparisons: two records → one agreement level per field.
//!
//! Every field is normalised first (lowercase, accents folded to ASCII, punctuation dropped),
//! then compared to one of the levels below, best agreement first. A field that is missing on
//! either side has no level: it weighs 0, neither for nor against.
//!
//! | field | levels |
//! |---|---|
//! | `name` | `equal` (the same two or more words, any order) · `subset` (one name's words, two or more, are among the other's: "María García" / "María García López"; an initial matches its word) · `nearly equal` (the same words but one, and that one a typo away: one letter swapped with its neighbour, dropped, doubled or replaced, in words of 4+ letters) · `word and initial` (one word and initials, within the other: "John S." / "John Smith", "J. Smith" / "John Smith") · `equal one word` ("Mary" / "Mary") · `one word of the other` (a first name alone: "John" / "John Smith") · `partly equal` (a word in common, the others differ: "Ana García" / "Pedro García", "Bob Smith" / "Robert Smith") · `different` |
//! | `name/handle` | only when one side has no name of two or more words and handles and emails do not already agree: a name of one side against a handle or email local part of the other (letters only): `full name` (first + a surname, either order: `laurafiganales`, `smith.john`) · `initial and surname` (`lfiganales`) · `different` |
//! | `handle` | `equal` (case and `@` aside) · `equal but digits` (equal once digits and separators are removed, `jsmith1`/`jsmith_2`) · `different` |
//! | `handle/email` | a handle against the other side's email local part: `equal` · `equal but digits` · `different` |
//! | `email` | `same address` · `same local part` (another domain) · `different` |
//! | `phone` | `same number` · `same last 7 digits` (another country or area code) · `different` |
//! | `location` | `same` (first comma-separated part: "Madrid, Spain" = "madrid") · `different` |
//! | `language` | `same` (same set of languages) · `overlap` · `disjoint` |
//! | `hours` | cosine of the two hour-of-day histograms (each with at least [`MIN_HOUR_MESSAGES`] messages, each hour smoothed with half of its neighbours): `close` (≥ 0.8) · `similar` (≥ 0.5) · `different` |
//! | `topics` | Jaccard of the two topic sets: `close` (≥ 0.5) · `some shared` (> 0) · `none shared` |
//!
//! Levels that share a value carry it, so that the matcher can weigh how common it is: the
//! name words of `equal`, `subset`, `nearly equal`, `word and initial`, `equal one word` and
//! `one word of the other`; the stem of an agreeing `name/handle`, `handle` or `handle/email`, and of `same
//! local part`. Records carry lists (a contact may hold several identities); the level of a
//! field is the best over all pairs of values.

use super::PersonRecord;

/// A compared field and its agreement levels, best agreement first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub levels: &'static [&'static str],
}

pub(crate) const NAME: usize = 0;
pub(crate) const NAME_HANDLE: usize = 1;
pub(crate) const HANDLE: usize = 2;
pub(crate) const HANDLE_EMAIL: usize = 3;
pub(crate) const EMAIL: usize = 4;
pub(crate) const PHONE: usize = 5;
pub(crate) const LOCATION: usize = 6;
pub(crate) const LANGUAGE: usize = 7;
pub(crate) const HOURS: usize = 8;
pub(crate) const TOPICS: usize = 9;
/// Number of fields.
pub(crate) const NF: usize = 10;
/// The level of a field missing on either side.
pub(crate) const MISSING: u8 = u8::MAX;
/// Name levels (indices into `FIELDS[NAME].levels`).
pub(crate) const NAME_EQUAL: u8 = 0;
pub(crate) const NAME_SUBSET: u8 = 1;
const NAME_NEARLY: u8 = 2;
const NAME_INITIAL: u8 = 3;
const NAME_ONE_WORD: u8 = 4;
const NAME_WORD_OF: u8 = 5;
const NAME_PARTLY: u8 = 6;
const NAME_DIFFERENT: u8 = 7;
/// The most levels a field has.
pub(crate) const MAX_LEVELS: usize = 8;

/// Whether a level of a field shares a value (name words, a stem) whose frequency adjusts its
/// weight.
pub(crate) fn shares_value(field: usize, level: u8) -> bool {
    match field {
        NAME => matches!(
            level,
            NAME_EQUAL | NAME_SUBSET | NAME_NEARLY | NAME_INITIAL | NAME_ONE_WORD | NAME_WORD_OF
        ),
        NAME_HANDLE | HANDLE | HANDLE_EMAIL => level < 2,
        EMAIL => level == 1,
        _ => false,
    }
}
/// The level index of `different` for email and phone: a conflict of strong identifiers.
pub(crate) const DIFFERENT_IDENTIFIER: u8 = 2;

/// The fields, in the order of [`Parameters::fields`](super::Parameters::fields).
pub const FIELDS: [Field; NF] = [
    Field {
        name: "name",
        levels: &[
            "equal",
            "subset",
            "nearly equal",
            "word and initial",
            "equal one word",
            "one word of the other",
            "partly equal",
            "different",
        ],
    },
    Field {
        name: "name/handle",
        levels: &["full name", "initial and surname", "different"],
    },
    Field {
        name: "handle",
        levels: &["equal", "equal but digits", "different"],
    },
    Field {
        name: "handle/email",
        levels: &["equal", "equal but digits", "different"],
    },
    Field {
        name: "email",
        levels: &["same address", "same local part", "different"],
    },
    Field {
        name: "phone",
        levels: &["same number", "same last 7 digits", "different"],
    },
    Field {
        name: "location",
        levels: &["same", "different"],
    },
    Field {
        name: "language",
        levels: &["same", "overlap", "disjoint"],
    },
    Field {
        name: "hours",
        levels: &["close", "similar", "different"],
    },
    Field {
        name: "topics",
        levels: &["close", "some shared", "none shared"],
    },
];

/// Fewer messages than this say nothing about when someone writes: `hours` is missing.
pub const MIN_HOUR_MESSAGES: u32 = 3;

/// Words of a display name that are not part of the name.
const HONORIFICS: &[&str] = &["mr", "mrs", "ms", "miss", "dr", "sr", "sra", "srta", "jr"];

fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' | 'į' => "i",
        'ł' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'ř' => "r",
        'ś' | 'š' | 'ş' => "s",
        'ť' | 'ţ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'þ' => "th",
        _ => return None,
    })
}

/// Lowercase, accents folded to ASCII, apostrophes dropped (`D'Angelo` → `dangelo`), every
/// other character that is not a letter or digit turned into a space.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if let Some(f) = fold_char(c) {
            out.push_str(f);
        } else if matches!(c, '\'' | '’' | '`' | '´') {
        } else if c.is_alphanumeric() {
            out.push(c);
        } else {
            out.push(' ');
        }
    }
    out
}

/// The tokens of a display name: folded, letters only, honorifics dropped, in their order.
pub fn name_tokens(s: &str) -> Vec<String> {
    fold(s)
        .split(|c: char| !c.is_alphabetic())
        .filter(|t| !t.is_empty() && !HONORIFICS.contains(t))
        .map(str::to_string)
        .collect()
}

/// Letters only, folded: the stem of a handle or an email local part.
pub fn stem(s: &str) -> String {
    fold(s).chars().filter(|c| c.is_alphabetic()).collect()
}

/// A normalised display name.
#[derive(Clone, Debug)]
pub(crate) struct Name {
    /// Tokens in their order.
    pub tokens: Vec<String>,
    pub sorted: Vec<String>,
    /// Tokens sorted, joined by a space.
    pub sorted_joined: String,
}

impl Name {
    fn new(s: &str) -> Option<Name> {
        let tokens = name_tokens(s);
        if tokens.is_empty() {
            return None;
        }
        let mut sorted = tokens.clone();
        sorted.sort();
        Some(Name {
            sorted_joined: sorted.join(" "),
            tokens,
            sorted,
        })
    }
}

/// A record normalised once for many comparisons.
#[derive(Clone, Debug, Default)]
pub(crate) struct Prepared {
    pub names: Vec<Name>,
    /// What a handle made of a name would be, letters only: (stem, `name/handle` level).
    pub name_stems: Vec<(String, u8)>,
    /// (handle without `@`, folded; its stem)
    pub handles: Vec<(String, String)>,
    /// (address, local part without `+tag`, stem of the local part)
    pub emails: Vec<(String, String, String)>,
    /// Digits only, at least 7.
    pub phones: Vec<String>,
    pub location: Option<String>,
    pub languages: Vec<String>,
    /// Unit-length hour histogram, when there are enough messages.
    pub hours: Option<[f32; 24]>,
    pub topics: Vec<String>,
}

impl Prepared {
    pub fn new(r: &PersonRecord) -> Prepared {
        let mut p = Prepared {
            names: r.names.iter().filter_map(|n| Name::new(n)).collect(),
            ..Prepared::default()
        };
        for n in &p.names {
            let first = &n.tokens[0];
            for t in n.tokens[1..].iter().filter(|t| t.len() > 1) {
                let mut add = |stem: String, level: u8| {
                    if stem.len() >= 4 && !p.name_stems.iter().any(|s| s.0 == stem) {
                        p.name_stems.push((stem, level));
                    }
                };
                if first.len() > 1 {
                    add(format!("{first}{t}"), 0);
                    add(format!("{t}{first}"), 0);
                }
                add(
                    format!(
                        "{}{t}",
                        &first[..first.chars().next().map_or(0, char::len_utf8)]
                    ),
                    1,
                );
            }
        }
        for h in &r.handles {
            let h: String = (h.trim().trim_start_matches('@').chars())
                .flat_map(char::to_lowercase)
                .filter(|c| !c.is_whitespace())
                .collect();
            if !h.is_empty() && !p.handles.iter().any(|(x, _)| *x == h) {
                let s = stem(&h);
                p.handles.push((h, s));
            }
        }
        for e in &r.emails {
            let e = e.trim().to_lowercase();
            let Some((local, domain)) = e.rsplit_once('@') else {
                continue;
            };
            let local = local.split('+').next().unwrap_or("").to_string();
            if local.is_empty() || domain.is_empty() || p.emails.iter().any(|x| x.0 == e) {
                continue;
            }
            let s = stem(&local);
            p.emails.push((e.clone(), local, s));
        }
        for ph in &r.phones {
            let d: String = ph.chars().filter(char::is_ascii_digit).collect();
            if d.len() >= 7 && !p.phones.contains(&d) {
                p.phones.push(d);
            }
        }
        p.location = r.location.as_deref().and_then(|l| {
            let first = l.split([',', '/', '|', '(', '·']).next().unwrap_or("");
            let f = fold(first).split_whitespace().collect::<Vec<_>>().join(" ");
            (!f.is_empty()).then_some(f)
        });
        p.languages = r
            .languages
            .iter()
            .map(|l| l.trim().to_lowercase().chars().take(2).collect::<String>())
            .filter(|l| !l.is_empty())
            .collect();
        p.languages.sort();
        p.languages.dedup();
        let total: u32 = r.hours.iter().sum();
        if total >= MIN_HOUR_MESSAGES {
            // Smoothed over the neighbouring hours: someone who writes at 20:00 also writes at 21:00.
            let h = |i: usize| f64::from(r.hours[i % 24]);
            let smooth: Vec<f64> = (0..24)
                .map(|i| h(i) + 0.5 * (h(i + 23) + h(i + 1)))
                .collect();
            let norm = smooth.iter().map(|x| x * x).sum::<f64>().sqrt();
            let mut v = [0f32; 24];
            for (o, x) in v.iter_mut().zip(&smooth) {
                *o = (x / norm) as f32;
            }
            p.hours = Some(v);
        }
        p.topics = r.topics.iter().map(|t| t.trim().to_lowercase()).collect();
        p.topics.retain(|t| !t.is_empty());
        p.topics.sort();
        p.topics.dedup();
        p
    }
}

/// What both sides of an agreeing level share, to weigh how common it is.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Shared<'a> {
    Nothing,
    /// Name words.
    Words(&'a [String]),
    /// Two spellings of nearly the same name: as common as the more common one.
    Either(&'a [String], &'a [String]),
    /// The letters of a handle or email local part.
    Stem(&'a str),
}

/// The levels of one compared pair, and per field what the two sides share (see
/// [`shares_value`]).
pub(crate) struct Outcome<'a> {
    pub levels: [u8; NF],
    pub shared: [Shared<'a>; NF],
}

fn compatible(t: &str, u: &str) -> bool {
    t == u || (t.len() == 1 && u.starts_with(t)) || (u.len() == 1 && t.starts_with(u))
}

/// Every token of `s` matches a distinct token of `l` (an initial matches its name), and `s`
/// has a real (2+ letters) token.
fn is_subset(s: &Name, l: &Name) -> bool {
    if s.tokens.len() > l.tokens.len() || !s.tokens.iter().any(|t| t.len() > 1) {
        return false;
    }
    let mut used = vec![false; l.tokens.len()];
    s.tokens.iter().all(|t| {
        let hit = (0..l.tokens.len()).find(|&i| !used[i] && compatible(t, &l.tokens[i]));
        hit.map(|i| used[i] = true).is_some()
    })
}

fn real_words(n: &Name) -> usize {
    n.tokens.iter().filter(|t| t.len() > 1).count()
}

/// A name against another, and what they share.
fn name_level<'a>(a: &'a Name, b: &'a Name) -> (u8, Shared<'a>) {
    let (wa, wb) = (real_words(a), real_words(b));
    if a.sorted == b.sorted {
        return (
            if wa >= 2 { NAME_EQUAL } else { NAME_ONE_WORD },
            Shared::Words(&a.tokens),
        );
    }
    // The shorter name: fewer words, and of as many, fewer real words ("John S." is within
    // "John Smith", not the other way round).
    let (s, l) = if (a.tokens.len(), wa) <= (b.tokens.len(), wb) {
        (a, b)
    } else {
        (b, a)
    };
    if is_subset(s, l) {
        let level = if real_words(s) >= 2 {
            NAME_SUBSET
        } else if s.tokens.len() >= 2 {
            NAME_INITIAL
        } else {
            NAME_WORD_OF
        };
        return (level, Shared::Words(&s.tokens));
    }
    // The words left once the equal ones are paired off.
    let mut left_a: Vec<&str> = a.sorted.iter().map(String::as_str).collect();
    let mut left_b: Vec<&str> = Vec::new();
    for t in &b.sorted {
        match left_a.iter().position(|x| x == t) {
            Some(i) => {
                left_a.remove(i);
            }
            None => left_b.push(t),
        }
    }
    let common = a.sorted.len() - left_a.len();
    let one_typo = left_a.len() == 1 && left_b.len() == 1;
    if wa >= 2 && wb >= 2 && one_typo && typo_away(left_a[0], left_b[0]) {
        return (NAME_NEARLY, Shared::Either(&a.tokens, &b.tokens));
    }
    if common > 0 && a.sorted.iter().any(|t| t.len() > 1 && b.sorted.contains(t)) {
        return (NAME_PARTLY, Shared::Nothing);
    }
    (NAME_DIFFERENT, Shared::Nothing)
}

/// One typo apart (a letter swapped with its neighbour, dropped, doubled or replaced), and
/// long enough for that to mean something.
pub(crate) fn typo_away(a: &str, b: &str) -> bool {
    a.len().min(b.len()) >= 4 && strsim::osa_distance(a, b) <= 1
}

fn best(current: u8, level: u8) -> u8 {
    if current == MISSING {
        level
    } else {
        current.min(level)
    }
}

fn handle_level(a: &(String, String), b_norm: &str, b_stem: &str) -> u8 {
    if a.0 == b_norm {
        0
    } else if a.1.len() >= 3 && a.1 == b_stem {
        1
    } else {
        2
    }
}

fn buckets(x: f64, close: f64, some: f64) -> u8 {
    if x >= close {
        0
    } else if x >= some {
        1
    } else {
        2
    }
}

pub(crate) fn compare_prepared<'a>(a: &'a Prepared, b: &'a Prepared) -> Outcome<'a> {
    let mut levels = [MISSING; NF];
    let mut shared = [Shared::Nothing; NF];
    for x in &a.names {
        for y in &b.names {
            let (level, words) = name_level(x, y);
            let more_words = |s: Shared, t: Shared| match (s, t) {
                (Shared::Words(s), Shared::Words(t)) => s.len() > t.len(),
                _ => false,
            };
            if levels[NAME] == MISSING
                || level < levels[NAME]
                || (level == levels[NAME] && more_words(words, shared[NAME]))
            {
                levels[NAME] = level;
                shared[NAME] = words;
            }
        }
    }
    let mut stem_level = |field: usize, h: &'a (String, String), norm: &str, stem: &str| {
        let level = handle_level(h, norm, stem);
        if levels[field] == MISSING || level < levels[field] {
            levels[field] = level;
            shared[field] = if level < 2 {
                Shared::Stem(&h.1)
            } else {
                Shared::Nothing
            };
        }
    };
    for h in &a.handles {
        for g in &b.handles {
            stem_level(HANDLE, h, &g.0, &g.1);
        }
    }
    for (hs, es) in [(a, b), (b, a)] {
        for h in &hs.handles {
            for e in &es.emails {
                stem_level(HANDLE_EMAIL, h, &e.1, &e.2);
            }
        }
    }
    for e in &a.emails {
        for f in &b.emails {
            let level = if e.0 == f.0 {
                0
            } else if e.1 == f.1 {
                1
            } else {
                2
            };
            if levels[EMAIL] == MISSING || level < levels[EMAIL] {
                levels[EMAIL] = level;
                shared[EMAIL] = if level == 1 {
                    Shared::Stem(&e.2)
                } else {
                    Shared::Nothing
                };
            }
        }
    }
    // A full name against the handles and local parts of a side that shows no full name,
    // unless handles or emails already agree.
    let agreed = |f: usize| levels[f] != MISSING && levels[f] < 2;
    if !agreed(HANDLE) && !agreed(HANDLE_EMAIL) && !agreed(EMAIL) {
        for (ns, hs) in [(a, b), (b, a)] {
            let full_name = hs.names.iter().any(|n| real_words(n) >= 2);
            if full_name
                || ns.name_stems.is_empty()
                || (hs.handles.is_empty() && hs.emails.is_empty())
            {
                continue;
            }
            levels[NAME_HANDLE] = best(levels[NAME_HANDLE], 2);
            let stems = hs
                .handles
                .iter()
                .map(|h| &h.1)
                .chain(hs.emails.iter().map(|e| &e.2));
            for stem in stems {
                for (s, level) in &ns.name_stems {
                    if s == stem && *level < levels[NAME_HANDLE] {
                        levels[NAME_HANDLE] = *level;
                        shared[NAME_HANDLE] = Shared::Stem(stem);
                    }
                }
            }
        }
    }
    for p in &a.phones {
        for q in &b.phones {
            let level = if p == q {
                0
            } else if p[p.len() - 7..] == q[q.len() - 7..] {
                1
            } else {
                2
            };
            levels[PHONE] = best(levels[PHONE], level);
        }
    }
    if let (Some(x), Some(y)) = (&a.location, &b.location) {
        levels[LOCATION] = u8::from(x != y);
    }
    if !a.languages.is_empty() && !b.languages.is_empty() {
        levels[LANGUAGE] = if a.languages == b.languages {
            0
        } else if a.languages.iter().any(|l| b.languages.contains(l)) {
            1
        } else {
            2
        };
    }
    if let (Some(x), Some(y)) = (&a.hours, &b.hours) {
        let cos: f32 = x.iter().zip(y).map(|(p, q)| p * q).sum();
        levels[HOURS] = buckets(cos as f64, 0.8, 0.5);
    }
    if !a.topics.is_empty() && !b.topics.is_empty() {
        let common = a.topics.iter().filter(|t| b.topics.contains(t)).count();
        let union = a.topics.len() + b.topics.len() - common;
        levels[TOPICS] = buckets(common as f64 / union as f64, 0.5, f64::MIN_POSITIVE);
    }
    Outcome { levels, shared }
}

/// The agreement level of every field present on both sides: (field, level).
pub fn levels(a: &PersonRecord, b: &PersonRecord) -> Vec<(&'static str, &'static str)> {
    let (pa, pb) = (Prepared::new(a), Prepared::new(b));
    let outcome = compare_prepared(&pa, &pb);
    FIELDS
        .iter()
        .zip(outcome.levels)
        .filter(|(_, l)| *l != MISSING)
        .map(|(f, l)| (f.name, f.levels[l as usize]))
        .collect()
}
