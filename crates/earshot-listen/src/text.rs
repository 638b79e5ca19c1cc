//! Text normalization for matching: NFKC, then case folding and accent folding for ordinary
//! terms; NFKC alone for `{CaseSensitive}` terms. Words are runs of letters, digits, `_` and
//! inner apostrophes; `#tag` and `@name` are terms of their own (and their word counts too);
//! each emoji or other symbol is a term.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// One term of a post, at its word position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Case- and accent-folded form, which ordinary query terms match.
    pub folded: String,
    /// NFKC form as written, which `{CaseSensitive}` terms match.
    pub exact: String,
    /// Word position (a hashtag and its word share one).
    pub position: u32,
}

/// Folds `s` the way ordinary query terms and post words are compared: NFKC, lowercase,
/// accents removed (`Café` → `cafe`).
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        // NFKC and accent folding leave ASCII as it is.
        return s.to_ascii_lowercase();
    }
    let lower: String = s.nfkc().flat_map(char::to_lowercase).collect();
    if lower.is_ascii() {
        return lower;
    }
    lower
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .nfc()
        .collect()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || is_combining_mark(c)
}

/// A symbol that is a term on its own: emoji and other pictographs.
fn is_symbol_term(c: char) -> bool {
    !c.is_alphanumeric()
        && !c.is_whitespace()
        && !c.is_control()
        && (c as u32) >= 0x2100
        && !is_combining_mark(c)
        && !matches!(c, '\u{200D}' | '\u{FE0F}' | '\u{FE0E}')
}

/// Splits `text` into positioned tokens.
pub fn tokenize(text: &str) -> Vec<Token> {
    if text.is_ascii() {
        return tokenize_ascii(text);
    }
    tokenize_unicode(text)
}

/// The same rules as [`tokenize_unicode`] for ASCII text (most posts), without NFKC (the
/// identity on ASCII) or a copy of the text as chars.
fn tokenize_ascii(text: &str) -> Vec<Token> {
    let b = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut tokens = Vec::with_capacity(b.len() / 5);
    let mut position = 0u32;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let sigil = (c == b'#' || c == b'@') && b.get(i + 1).is_some_and(|&n| word(n));
        if sigil || word(c) {
            let start = if sigil { i + 1 } else { i };
            let mut end = start;
            while end < b.len()
                && (word(b[end])
                    || (b[end] == b'\'' && end > start && b.get(end + 1).is_some_and(|&n| word(n))))
            {
                end += 1;
            }
            if sigil {
                let tagged = &text[i..end];
                tokens.push(Token {
                    folded: tagged.to_ascii_lowercase(),
                    exact: tagged.to_string(),
                    position,
                });
            }
            let w = &text[start..end];
            tokens.push(Token {
                folded: w.to_ascii_lowercase(),
                exact: w.to_string(),
                position,
            });
            position += 1;
            i = end;
        } else {
            i += 1;
        }
    }
    tokens
}

fn tokenize_unicode(text: &str) -> Vec<Token> {
    let normalized: String = text.nfkc().collect();
    let chars: Vec<char> = normalized.chars().collect();
    let mut tokens = Vec::new();
    let mut position = 0u32;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let sigil = (c == '#' || c == '@') && chars.get(i + 1).is_some_and(|n| is_word_char(*n));
        if sigil || is_word_char(c) {
            let start = if sigil { i + 1 } else { i };
            let mut end = start;
            while end < chars.len() {
                let here = chars[end];
                let inner_apostrophe = (here == '\'' || here == '’')
                    && end + 1 < chars.len()
                    && is_word_char(chars[end + 1])
                    && end > start;
                if is_word_char(here) || inner_apostrophe {
                    end += 1;
                } else {
                    break;
                }
            }
            let word: String = chars[start..end].iter().collect();
            if sigil {
                let tagged = format!("{c}{word}");
                tokens.push(Token {
                    folded: fold(&tagged),
                    exact: tagged,
                    position,
                });
            }
            tokens.push(Token {
                folded: fold(&word),
                exact: word,
                position,
            });
            position += 1;
            i = end;
        } else if is_symbol_term(c) {
            let s = c.to_string();
            tokens.push(Token {
                folded: s.clone(),
                exact: s,
                position,
            });
            position += 1;
            i += 1;
        } else {
            i += 1;
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(text: &str) -> Vec<(String, u32)> {
        tokenize(text)
            .into_iter()
            .map(|t| (t.folded, t.position))
            .collect()
    }

    #[test]
    fn words_are_folded_for_case_accents_and_compatibility_forms() {
        assert_eq!(fold("Café"), "cafe");
        assert_eq!(fold("ＲＥＦＵＮＤ"), "refund");
        assert_eq!(fold("Straße"), "straße");
        assert_eq!(
            folded("My REFUND, from Café-Müller!"),
            [
                ("my", 0),
                ("refund", 1),
                ("from", 2),
                ("cafe", 3),
                ("muller", 4)
            ]
            .map(|(w, p)| (w.to_string(), p))
        );
    }

    #[test]
    fn hashtags_mentions_and_emoji_are_terms() {
        assert_eq!(
            folded("@AcmeCare #FAIL again 😡😡 don't"),
            [
                ("@acmecare", 0),
                ("acmecare", 0),
                ("#fail", 1),
                ("fail", 1),
                ("again", 2),
                ("😡", 3),
                ("😡", 4),
                ("don't", 5)
            ]
            .map(|(w, p)| (w.to_string(), p))
        );
        let exact: Vec<_> = tokenize("Apple pie").into_iter().map(|t| t.exact).collect();
        assert_eq!(exact, ["Apple", "pie"]);
    }

    proptest::proptest! {
        #[test]
        fn the_ascii_fast_path_tokenizes_like_the_general_one(text in "[ -~]{0,60}") {
            proptest::prop_assert_eq!(tokenize_ascii(&text), tokenize_unicode(&text));
        }
    }

    #[test]
    fn scripts_without_spaces_and_odd_input_do_not_panic() {
        for text in [
            "",
            "   ",
            "中文测试",
            "مرحبا بالعالم",
            "नमस्ते",
            "\u{0}\u{1}\u{7f}",
            "e\u{301}\u{301}",
            "#",
            "@@@",
            "'''",
        ] {
            let _ = tokenize(text);
        }
        assert_eq!(folded("e\u{301}cole"), [("ecole".to_string(), 0)]);
    }
}
