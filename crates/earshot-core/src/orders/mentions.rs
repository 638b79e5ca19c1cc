//! Order numbers in what customers write: "where is my order #1001?", "ma commande n° 4471",
//! "Bestellung Nr. A-1001". A message naming an order number links the conversation to
//! that order; [`number_key`] is the form both sides are compared in.
//!
//! A number is 3–20 letters, digits and `-`, with at least three digits, introduced by `#`
//! or by the word for order (`order`, `commande`, `pedido`, `Bestellung`, `ordine`,
//! `encomenda`) with optional `no.`, `nr`, `number`, `n°`, `:` or `#` between. Hashtags
//! without digits, colour codes (`#ff0000`), prices (`$1001`, `#12.50`), dates and phone
//! numbers are not order numbers.

/// Most order numbers taken from one message.
pub const MAX_NUMBERS: usize = 5;

/// Words that introduce an order number (lower case).
const KEYWORDS: &[&str] = &[
    "order",
    "commande",
    "pedido",
    "bestellung",
    "bestellnummer",
    "bestellnr",
    "ordine",
    "encomenda",
];

/// Words that may stand between the keyword and the number (lower case).
const FILLERS: &[&str] = &[
    "no", "nr", "n", "nº", "num", "number", "numero", "numéro", "número", "nummer", "id", "ref",
];

/// The form an order number is looked up in: trimmed, without a leading `#`, `No.` or
/// `Nr.`, upper case, without spaces. `#1001` → `1001`, `a-77` → `A-77`, `No. 5512` → `5512`.
pub fn number_key(number: &str) -> String {
    let mut s = number.trim();
    loop {
        let before = s;
        s = s.trim_start_matches('#').trim_start();
        let lower3 = s.get(..3).map(str::to_ascii_lowercase);
        if matches!(lower3.as_deref(), Some("no." | "nr.")) {
            s = &s[3..];
        } else if let Some(rest) = ["n°", "N°", "nº", "Nº"]
            .iter()
            .find_map(|p| s.strip_prefix(p))
        {
            s = rest;
        }
        s = s.trim_start();
        if s == before {
            break;
        }
    }
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// The keys ([`number_key`]) of the order numbers `text` names, in order of appearance,
/// without repeats, at most [`MAX_NUMBERS`].
pub fn order_numbers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<char> = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < chars.len() && out.len() < MAX_NUMBERS {
        let found = if chars[i] == '#' {
            after_hash(&chars, i)
        } else if i == 0 || !chars[i - 1].is_alphanumeric() {
            after_keyword(&chars, &lower, i)
        } else {
            None
        };
        match found {
            Some((start, end)) => {
                let key = number_key(&chars[start..end].iter().collect::<String>());
                if !out.contains(&key) {
                    out.push(key);
                }
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

/// `#1001`: the number's span, when the `#` starts a word and is no colour code.
fn after_hash(chars: &[char], i: usize) -> Option<(usize, usize)> {
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '&') {
        return None; // `page#top`, `&#8217;`
    }
    let (start, end) = candidate(chars, i + 1)?;
    let word = &chars[start..end];
    let colour = word.len() == 6
        && word.iter().all(char::is_ascii_hexdigit)
        && word.iter().any(char::is_ascii_alphabetic);
    (!colour).then_some((start, end))
}

/// `order no. 1001`, `commande n° 4471`: the number's span after a keyword at `i`.
fn after_keyword(chars: &[char], lower: &[char], i: usize) -> Option<(usize, usize)> {
    let kw = KEYWORDS.iter().find(|k| {
        let n = k.chars().count();
        lower.len() >= i + n
            && lower[i..i + n].iter().copied().eq(k.chars())
            && lower.get(i + n).is_none_or(|c| !c.is_alphanumeric())
    })?;
    let mut j = i + kw.chars().count();
    for _ in 0..4 {
        while j < chars.len() && (chars[j].is_whitespace() || ":#.°º-".contains(chars[j])) {
            j += 1;
        }
        let word_end = (j..chars.len())
            .find(|&k| !chars[k].is_alphanumeric())
            .unwrap_or(chars.len());
        let word: String = lower[j..word_end].iter().collect();
        if word.is_empty() || !FILLERS.contains(&word.as_str()) {
            break;
        }
        j = word_end;
    }
    candidate(chars, j)
}

/// A number starting at `start`: its span, when it has the shape of one.
fn candidate(chars: &[char], start: usize) -> Option<(usize, usize)> {
    if !chars.get(start)?.is_ascii_alphanumeric() {
        return None;
    }
    let mut end = start;
    while end < chars.len() && (chars[end].is_ascii_alphanumeric() || chars[end] == '-') {
        end += 1;
    }
    while chars[end - 1] == '-' {
        end -= 1;
    }
    let word = &chars[start..end];
    let digits = word.iter().filter(|c| c.is_ascii_digit()).count();
    if !(3..=20).contains(&word.len()) || digits < 3 {
        return None;
    }
    // Glued to more of a word, a decimal (`1001.50`, `1,001`), a price or a percentage.
    let next = chars.get(end).copied();
    let after = chars.get(end + 1).copied();
    if next.is_some_and(|c| c.is_alphanumeric() || c == '_')
        || (matches!(next, Some('.' | ',')) && after.is_some_and(|c| c.is_ascii_digit()))
        || next.is_some_and(|c| "$€£¥₹%".contains(c))
        || (start > 0 && "$€£¥₹".contains(chars[start - 1]))
    {
        return None;
    }
    // A date: 2024-11-03.
    let date = word.len() == 10
        && word.iter().enumerate().all(|(k, c)| {
            if k == 4 || k == 7 {
                *c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    (!date).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_normalized() {
        assert_eq!(number_key("#1001"), "1001");
        assert_eq!(number_key(" a-77 "), "A-77");
        assert_eq!(number_key("No. 5512"), "5512");
        assert_eq!(number_key("nr.88812"), "88812");
        assert_eq!(number_key("# 10 01"), "1001");
        assert_eq!(number_key("n° 4471"), "4471");
        assert_eq!(number_key("BVL222236405"), "BVL222236405");
        assert_eq!(number_key("Nora-123"), "NORA-123");
    }

    #[test]
    fn english_care_messages() {
        let msg = "Hi, my order #1001 still hasn't arrived and it's been 2 weeks. \
                   Tracking for order 1002 says delivered but it isn't here!";
        assert_eq!(order_numbers(msg), ["1001", "1002"]);
        assert_eq!(
            order_numbers("Order number: A-1001, please refund"),
            ["A-1001"]
        );
        assert_eq!(
            order_numbers("re: order no. 55120 / ORDER NR 55121"),
            ["55120", "55121"]
        );
        assert_eq!(order_numbers("Order #1001 (yes, #1001 again)"), ["1001"]);
        assert_eq!(order_numbers("order: BVL-222236405?"), ["BVL-222236405"]);
        assert_eq!(
            order_numbers("my order id 774411 never shipped"),
            ["774411"]
        );
    }

    #[test]
    fn french_spanish_and_german_care_messages() {
        assert_eq!(
            order_numbers("Bonjour, ma commande n° 4471 est arrivée cassée. Merci de m'aider."),
            ["4471"]
        );
        assert_eq!(
            order_numbers(
                "Hola, el pedido nº 98231 llegó incompleto; el número de pedido 98232 también"
            ),
            ["98231", "98232"]
        );
        assert_eq!(
            order_numbers("Guten Tag, meine Bestellung Nr. 100234 ist nie angekommen."),
            ["100234"]
        );
        assert_eq!(order_numbers("Bestellnummer: 5512-88, danke"), ["5512-88"]);
        assert_eq!(
            order_numbers("l'ordine n. 3310 e l'encomenda 3311"),
            ["3310", "3311"]
        );
    }

    #[test]
    fn other_numbers_are_no_orders() {
        for text in [
            "#blessed #love #ootd",
            "loving the new #ff0000 and #A1B2C3 colourways",
            "call me on +44 7700 900123 about my order",
            "I paid $1001 for this order",
            "order $1001 charged twice",
            "order 3 weeks ago, still nothing",
            "I placed my order 2024-11-03",
            "the order was 1001.50 in total",
            "order 12",
            "#12",
            "see https://shop.example/page#section123 &#8217;",
            "preorder 12345",
            "order 100% wrong",
        ] {
            assert!(
                order_numbers(text).is_empty(),
                "{text}: {:?}",
                order_numbers(text)
            );
        }
        // Six digits are an order even though they are hex.
        assert_eq!(order_numbers("#123456"), ["123456"]);
    }

    #[test]
    fn at_most_five_numbers_are_taken() {
        let text = "#1001 #1002 #1003 #1004 #1005 #1006";
        assert_eq!(
            order_numbers(text),
            ["1001", "1002", "1003", "1004", "1005"]
        );
    }
}
