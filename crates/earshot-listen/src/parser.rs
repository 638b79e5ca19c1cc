//! The query language, close to what listening analysts write (Brandwatch, Sprinklr):
//!
//! ```text
//! query    := or
//! or       := and ( "OR" and )*
//! and      := unary ( "AND"? unary )*          juxtaposition is AND
//! unary    := "NOT" unary | near
//! near     := primary ( "NEAR/" N "f"? primary )*
//! primary  := "(" or ")" | term | "\"phrase\"" ( "~" N )? | "{Exact}" | field ":" value
//! term     := word | word* | wo?d | #hashtag | @mention
//! ```
//!
//! Operators are upper case (`and`, `or`, `not` in lower case are words). Errors carry the
//! 1-based character column where parsing failed and what was expected there.

use crate::ast::{Comparison, Field, Query, Term};
use crate::text::fold;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based column (in characters) of the problem.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Near(u32, bool),
    Word(String),
    Phrase(String, Option<u32>),
    Exact(String),
    Field(String, String),
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::And => "`AND`".into(),
            Tok::Or => "`OR`".into(),
            Tok::Not => "`NOT`".into(),
            Tok::Near(n, o) => format!("`NEAR/{n}{}`", if *o { "f" } else { "" }),
            Tok::Word(w) => format!("`{w}`"),
            Tok::Phrase(p, _) => format!("the phrase \"{p}\""),
            Tok::Exact(e) => format!("`{{{e}}}`"),
            Tok::Field(n, v) => format!("`{n}:{v}`"),
        }
    }
}

const EXPECT_OPERAND: &str =
    "expected a word, a \"phrase\", a field such as author:name, `NOT` or `(`";
const MAX_DEPTH: usize = 64;

fn err<T>(column: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        column,
        message: message.into(),
    })
}

fn lex(input: &str) -> Result<Vec<(Tok, usize)>, ParseError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push((Tok::LParen, column));
            i += 1;
        } else if c == ')' {
            out.push((Tok::RParen, column));
            i += 1;
        } else if c == '"' {
            let close = chars[i + 1..].iter().position(|&d| d == '"');
            let Some(len) = close else {
                return err(column, "this `\"` is never closed");
            };
            let phrase: String = chars[i + 1..i + 1 + len].iter().collect();
            i += len + 2;
            let mut within = None;
            if chars.get(i) == Some(&'~') {
                let digits: String = chars[i + 1..]
                    .iter()
                    .take_while(|d| d.is_ascii_digit())
                    .collect();
                if digits.is_empty() {
                    return err(
                        i + 2,
                        "expected a number of words after `~`, e.g. \"late delivery\"~5",
                    );
                }
                within = Some(digits.parse().map_err(|_| ParseError {
                    column: i + 2,
                    message: "the distance after `~` is too large".into(),
                })?);
                i += 1 + digits.len();
            }
            out.push((Tok::Phrase(phrase, within), column));
        } else if c == '{' {
            let close = chars[i + 1..].iter().position(|&d| d == '}');
            let Some(len) = close else {
                return err(column, "this `{` is never closed");
            };
            let exact: String = chars[i + 1..i + 1 + len].iter().collect();
            out.push((Tok::Exact(exact), column));
            i += len + 2;
        } else {
            let start = i;
            while i < chars.len()
                && !chars[i].is_whitespace()
                && !matches!(chars[i], '(' | ')' | '"' | '{' | '}')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if word.is_empty() {
                return err(column, format!("unexpected `{c}`"));
            }
            out.push((word_token(&word, column)?, column));
        }
    }
    Ok(out)
}

fn word_token(word: &str, column: usize) -> Result<Tok, ParseError> {
    match word {
        "AND" => return Ok(Tok::And),
        "OR" => return Ok(Tok::Or),
        "NOT" => return Ok(Tok::Not),
        _ => {}
    }
    if let Some(rest) = word.strip_prefix("NEAR/") {
        let ordered = rest.ends_with('f');
        let digits = rest.trim_end_matches('f');
        return match digits.parse::<u32>() {
            Ok(n) => Ok(Tok::Near(n, ordered)),
            Err(_) => err(
                column,
                format!("`{word}`: expected NEAR/N or NEAR/Nf with a number of words"),
            ),
        };
    }
    if let Some((name, value)) = word.split_once(':') {
        let looks_like_field = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphabetic())
            && (name == "url" || name == "site" || !value.contains("//"));
        if looks_like_field {
            return Ok(Tok::Field(name.to_string(), value.to_string()));
        }
    }
    Ok(Tok::Word(word.to_string()))
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    at: usize,
    end_column: usize,
    depth: usize,
}

/// The longest query accepted, in characters (Brandwatch's limit too): enough for hundreds
/// of terms, and a bound on what matching one post may cost.
pub const MAX_QUERY_CHARS: usize = 4_096;

/// Parses a listening query.
pub fn parse(input: &str) -> Result<Query, ParseError> {
    let chars = input.chars().count();
    if chars > MAX_QUERY_CHARS {
        return err(
            MAX_QUERY_CHARS + 1,
            format!(
                "the query has {chars} characters; a query holds at most {MAX_QUERY_CHARS} (split it into several topics)"
            ),
        );
    }
    let toks = lex(input)?;
    if toks.is_empty() {
        return err(1, "the query is empty");
    }
    let mut p = Parser {
        toks,
        at: 0,
        end_column: input.chars().count() + 1,
        depth: 0,
    };
    let q = p.or()?;
    if let Some((tok, column)) = p.toks.get(p.at) {
        let message = if *tok == Tok::RParen {
            "this `)` has no matching `(`".to_string()
        } else {
            format!("unexpected {}", tok.describe())
        };
        return err(*column, message);
    }
    Ok(q)
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(t, _)| t)
    }

    fn column(&self) -> usize {
        self.toks.get(self.at).map_or(self.end_column, |(_, c)| *c)
    }

    fn or(&mut self) -> Result<Query, ParseError> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            Query::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Query, ParseError> {
        let mut parts = vec![self.unary()?];
        loop {
            match self.peek() {
                Some(Tok::And) => {
                    self.at += 1;
                    parts.push(self.unary()?);
                }
                Some(Tok::Or | Tok::RParen) | None => break,
                Some(Tok::Near(..)) => {
                    return err(self.column(), "`NEAR` needs a word on each side")
                }
                Some(_) => parts.push(self.unary()?),
            }
        }
        Ok(if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            Query::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Query, ParseError> {
        if self.peek() == Some(&Tok::Not) {
            self.at += 1;
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Query::Not(Box::new(inner)));
        }
        self.near()
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return err(
                self.column(),
                format!("the query nests deeper than {MAX_DEPTH} levels"),
            );
        }
        Ok(())
    }

    fn near(&mut self) -> Result<Query, ParseError> {
        let left_column = self.column();
        let mut left = self.primary()?;
        while let Some(Tok::Near(distance, ordered)) = self.peek().cloned() {
            let near_column = self.column();
            self.at += 1;
            let right_column = self.column();
            let right = self.primary()?;
            let Query::Term(l) = left else {
                return err(
                    left_column,
                    "`NEAR` needs a single word (or word* pattern) on its left",
                );
            };
            let Query::Term(r) = right else {
                return err(
                    right_column,
                    "`NEAR` needs a single word (or word* pattern) on its right",
                );
            };
            let _ = near_column;
            left = Query::Near {
                left: l,
                right: r,
                distance,
                ordered,
            };
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Query, ParseError> {
        let column = self.column();
        let Some((tok, _)) = self.toks.get(self.at).cloned() else {
            return err(column, format!("the query ends here; {EXPECT_OPERAND}"));
        };
        self.at += 1;
        match tok {
            Tok::LParen => {
                self.enter()?;
                if self.peek() == Some(&Tok::RParen) {
                    return err(
                        self.column(),
                        format!("empty parentheses; {EXPECT_OPERAND}"),
                    );
                }
                let inner = self.or()?;
                self.depth -= 1;
                if self.peek() != Some(&Tok::RParen) {
                    return err(column, "this `(` is never closed");
                }
                self.at += 1;
                Ok(inner)
            }
            Tok::Word(w) => Ok(Query::Term(term(&w, column)?)),
            Tok::Exact(e) => {
                if e.trim().is_empty() || e.chars().any(char::is_whitespace) {
                    return err(column, "`{…}` takes one word, e.g. {Apple}");
                }
                Ok(Query::Term(Term::Exact(e.nfkc_string())))
            }
            Tok::Phrase(p, within) => {
                let words: Vec<&str> = p.split_whitespace().collect();
                if words.is_empty() {
                    return err(column, "the phrase is empty");
                }
                let terms = words
                    .iter()
                    .map(|w| term(w, column))
                    .collect::<Result<Vec<_>, _>>()?;
                if terms.len() == 1 && within.is_none() {
                    return Ok(Query::Term(terms.into_iter().next().expect("one term")));
                }
                Ok(Query::Phrase { terms, within })
            }
            Tok::Field(name, value) => Ok(Query::Field(field(&name, &value, column)?)),
            other => err(
                column,
                format!("unexpected {}; {EXPECT_OPERAND}", other.describe()),
            ),
        }
    }
}

trait Nfkc {
    fn nfkc_string(&self) -> String;
}

impl Nfkc for String {
    fn nfkc_string(&self) -> String {
        use unicode_normalization::UnicodeNormalization;
        self.nfkc().collect()
    }
}

fn term(word: &str, column: usize) -> Result<Term, ParseError> {
    let folded = fold(word);
    let core = folded.trim_start_matches(['#', '@']);
    if core.is_empty() || core.chars().all(|c| c == '*' || c == '?') {
        return err(column, format!("`{word}` has no letters to match"));
    }
    if folded.contains(['*', '?']) {
        if let Some(prefix) = folded.strip_suffix('*').filter(|p| !p.contains(['*', '?'])) {
            return Ok(Term::Prefix(prefix.to_string()));
        }
        return Ok(Term::Wildcard(folded));
    }
    Ok(Term::Word(folded))
}

fn field(name: &str, value: &str, column: usize) -> Result<Field, ParseError> {
    let value_column = column + name.chars().count() + 1;
    if value.is_empty() {
        return err(value_column, format!("`{name}:` needs a value"));
    }
    match name.to_ascii_lowercase().as_str() {
        "author" => Ok(Field::Author(fold(value.trim_start_matches('@')))),
        "channel" => value
            .parse()
            .map(Field::Channel)
            .or_else(|e: earshot_core::channel::UnknownChannelKind| err(value_column, e.to_string())),
        "lang" => Ok(Field::Lang(value.to_ascii_lowercase())),
        "site" | "url" => {
            let host = value
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .trim_start_matches("www.")
                .split('/')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if host.is_empty() {
                return err(value_column, format!("`{name}:` needs a site such as example.com"));
            }
            Ok(Field::Site(host))
        }
        "followers" => {
            let (cmp, digits) = [(">=", Comparison::GreaterOrEqual), ("<=", Comparison::LessOrEqual), (">", Comparison::Greater), ("<", Comparison::Less), ("=", Comparison::Equal)]
                .into_iter()
                .find_map(|(op, cmp)| value.strip_prefix(op).map(|d| (cmp, d)))
                .unwrap_or((Comparison::Equal, value));
            let n = digits.parse().or_else(|_| {
                err(value_column, format!("`followers:{value}`: expected a number with >, >=, <, <= or =, e.g. followers:>1000"))
            })?;
            Ok(Field::Followers(cmp, n))
        }
        "verified" => match value.to_ascii_lowercase().as_str() {
            "true" | "yes" => Ok(Field::Verified(true)),
            "false" | "no" => Ok(Field::Verified(false)),
            _ => err(value_column, format!("`verified:{value}`: expected true or false")),
        },
        other => err(
            column,
            format!("unknown field `{other}:`; expected author:, channel:, lang:, site:, url:, followers: or verified:"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Query {
        Query::Term(Term::Word(s.into()))
    }

    #[test]
    fn a_query_past_the_length_limit_is_refused_before_any_work() {
        let huge = vec!["refund"; 200_000].join(" OR ");
        let e = parse(&huge).unwrap_err();
        assert_eq!(e.column, MAX_QUERY_CHARS + 1);
        assert!(e.message.contains("at most 4096"), "{e}");
        let fits = vec!["refund"; 400].join(" OR ");
        assert!(fits.chars().count() <= MAX_QUERY_CHARS);
        assert!(parse(&fits).is_ok());
    }

    #[test]
    fn precedence_implicit_and_and_parentheses() {
        assert_eq!(
            parse("refund OR late delivery").unwrap(),
            Query::Or(vec![
                w("refund"),
                Query::And(vec![w("late"), w("delivery")])
            ])
        );
        assert_eq!(
            parse("(refund OR return) AND NOT spam").unwrap(),
            Query::And(vec![
                Query::Or(vec![w("refund"), w("return")]),
                Query::Not(Box::new(w("spam")))
            ])
        );
        assert_eq!(
            parse("NOT NOT x").unwrap(),
            Query::Not(Box::new(Query::Not(Box::new(w("x")))))
        );
        assert_eq!(
            parse("and or not").unwrap(),
            Query::And(vec![w("and"), w("or"), w("not")])
        );
    }

    #[test]
    fn terms_phrases_proximity_and_fields() {
        assert_eq!(
            parse("Refund*").unwrap(),
            Query::Term(Term::Prefix("refund".into()))
        );
        assert_eq!(
            parse("colo?r").unwrap(),
            Query::Term(Term::Wildcard("colo?r".into()))
        );
        assert_eq!(
            parse("#Fail @AcmeCare").unwrap(),
            Query::And(vec![w("#fail"), w("@acmecare")])
        );
        assert_eq!(
            parse("{Apple}").unwrap(),
            Query::Term(Term::Exact("Apple".into()))
        );
        assert_eq!(
            parse("\"late delivery\"~5").unwrap(),
            Query::Phrase {
                terms: vec![Term::Word("late".into()), Term::Word("delivery".into())],
                within: Some(5)
            }
        );
        assert_eq!(
            parse("delay NEAR/3f refund*").unwrap(),
            Query::Near {
                left: Term::Word("delay".into()),
                right: Term::Prefix("refund".into()),
                distance: 3,
                ordered: true
            }
        );
        assert_eq!(
            parse("followers:>1000").unwrap(),
            Query::Field(Field::Followers(Comparison::Greater, 1000))
        );
        assert_eq!(
            parse("verified:true").unwrap(),
            Query::Field(Field::Verified(true))
        );
        assert_eq!(
            parse("channel:reddit").unwrap(),
            Query::Field(Field::Channel(earshot_core::ChannelKind::Reddit))
        );
        assert_eq!(
            parse("site:https://www.Example.com/x").unwrap(),
            Query::Field(Field::Site("example.com".into()))
        );
        assert_eq!(
            parse("author:@AcmeCare").unwrap(),
            Query::Field(Field::Author("acmecare".into()))
        );
    }

    #[test]
    fn errors_say_where_and_what_was_expected() {
        let cases = [
            ("", 1, "empty"),
            ("refund AND", 11, "ends here"),
            ("(refund OR return", 1, "never closed"),
            ("refund)", 7, "no matching `(`"),
            ("\"late delivery", 1, "never closed"),
            ("\"late\"~x", 8, "number of words"),
            ("refund OR OR x", 11, "unexpected `OR`"),
            ("colour:red", 1, "unknown field `colour:`"),
            ("followers:lots", 11, "expected a number"),
            ("verified:maybe", 10, "true or false"),
            ("channel:myspace", 9, "myspace"),
            ("(a OR b) NEAR/3 c", 1, "single word"),
            ("a NEAR/x b", 3, "NEAR/N"),
            ("***", 1, "no letters"),
            ("()", 2, "empty parentheses"),
            ("{two words}", 1, "one word"),
        ];
        for (query, column, needle) in cases {
            let e = parse(query).unwrap_err();
            assert_eq!(e.column, column, "{query}: {e}");
            assert!(e.message.contains(needle), "{query}: {e}");
        }
        let deep = "(".repeat(200) + "x" + &")".repeat(200);
        assert!(parse(&deep).unwrap_err().message.contains("deeper"));
    }
}
