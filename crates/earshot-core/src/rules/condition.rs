//! Conditions: `all`/`any`/`not` over tests of a field with an operator, parsed with the path
//! of every problem, evaluated and explained.

use super::*;
use serde::Serialize;
use serde_json::Value as Json;
use std::fmt;

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Contains,
    NotContains,
    StartsWith,
    Gt,
    Lt,
    In,
    Present,
    Absent,
    Changed,
}

impl Op {
    const ALL: [Op; 11] = [
        Op::Eq,
        Op::Ne,
        Op::Contains,
        Op::NotContains,
        Op::StartsWith,
        Op::Gt,
        Op::Lt,
        Op::In,
        Op::Present,
        Op::Absent,
        Op::Changed,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Contains => "contains",
            Op::NotContains => "not_contains",
            Op::StartsWith => "starts_with",
            Op::Gt => "gt",
            Op::Lt => "lt",
            Op::In => "in",
            Op::Present => "present",
            Op::Absent => "absent",
            Op::Changed => "changed",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name() == s)
    }
    fn valid_for(self, kind: Kind) -> bool {
        use Op::*;
        match kind {
            Kind::Text => !matches!(self, Gt | Lt),
            Kind::Number => !matches!(self, Contains | NotContains | StartsWith),
            Kind::Bool => matches!(self, Eq | Ne | Present | Absent | Changed),
            Kind::List => matches!(
                self,
                Contains | NotContains | In | Present | Absent | Changed
            ),
        }
    }
}

/// One comparison of a field with a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    pub field: Field,
    pub op: Op,
    /// The operand (`Absent` for present/absent; a list for `in`).
    pub value: Value,
    /// For `changed`: the value before, and after, when the rule names them.
    pub from: Option<Value>,
    pub to: Option<Value>,
}

/// A tree of tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Test(Test),
}

/// Something wrong with a rule, and where (a JSON path such as `conditions.all[1].op`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

pub(crate) fn err(path: &str, message: impl Into<String>) -> RuleError {
    RuleError {
        path: path.to_owned(),
        message: message.into(),
    }
}

impl Condition {
    /// Parses a condition tree; every error found is reported, each with its path.
    pub fn parse(json: &Json, path: &str, errors: &mut Vec<RuleError>) -> Option<Condition> {
        let Some(obj) = json.as_object() else {
            errors.push(err(
                path,
                "a condition is an object: {\"all\": […]}, {\"any\": […]}, {\"not\": {…}} or {\"field\", \"op\", \"value\"}",
            ));
            return None;
        };
        for (key, make) in [
            ("all", Condition::All as fn(Vec<Condition>) -> Condition),
            ("any", Condition::Any),
        ] {
            if let Some(children) = obj.get(key) {
                if obj.len() != 1 {
                    errors.push(err(path, format!("`{key}` stands alone in its object")));
                    return None;
                }
                let Some(children) = children.as_array() else {
                    errors.push(err(
                        &format!("{path}.{key}"),
                        "expected a list of conditions",
                    ));
                    return None;
                };
                if children.is_empty() {
                    errors.push(err(&format!("{path}.{key}"), "is empty"));
                    return None;
                }
                let parsed: Vec<Option<Condition>> = children
                    .iter()
                    .enumerate()
                    .map(|(i, c)| Condition::parse(c, &format!("{path}.{key}[{i}]"), errors))
                    .collect();
                return parsed.into_iter().collect::<Option<Vec<_>>>().map(make);
            }
        }
        if let Some(inner) = obj.get("not") {
            if obj.len() != 1 {
                errors.push(err(path, "`not` stands alone in its object"));
                return None;
            }
            return Condition::parse(inner, &format!("{path}.not"), errors)
                .map(|c| Condition::Not(Box::new(c)));
        }
        Test::parse(obj, path, errors).map(Condition::Test)
    }

    /// Whether the tree holds for these facts.
    pub fn holds(&self, facts: &Facts) -> bool {
        match self {
            Self::All(cs) => cs.iter().all(|c| c.holds(facts)),
            Self::Any(cs) => cs.iter().any(|c| c.holds(facts)),
            Self::Not(c) => !c.holds(facts),
            Self::Test(t) => t.holds(facts),
        }
    }

    /// Whether it holds, with the tests that decided it (for dry runs and the audit trail).
    pub fn explain(&self, facts: &Facts, why: &mut Vec<String>) -> bool {
        match self {
            Self::All(cs) => {
                let mark = why.len();
                for c in cs {
                    if !c.explain(facts, why) {
                        let failed = why.pop();
                        why.truncate(mark);
                        why.extend(failed);
                        return false;
                    }
                }
                true
            }
            Self::Any(cs) => {
                let mark = why.len();
                for c in cs {
                    let before = why.len();
                    if c.explain(facts, why) {
                        let held: Vec<String> = why.drain(before..).collect();
                        why.truncate(mark);
                        why.extend(held);
                        return true;
                    }
                }
                why.truncate(mark);
                why.push("none of the alternatives held".into());
                false
            }
            Self::Not(c) => {
                let mark = why.len();
                let held = c.explain(facts, why);
                let inner: Vec<String> = why.drain(mark..).collect();
                why.push(format!("not ({})", inner.join(", ")));
                !held
            }
            Self::Test(t) => {
                let held = t.holds(facts);
                why.push(t.describe(facts, held));
                held
            }
        }
    }
}

impl Test {
    fn parse(
        obj: &serde_json::Map<String, Json>,
        path: &str,
        errors: &mut Vec<RuleError>,
    ) -> Option<Test> {
        let before = errors.len();
        for key in obj.keys() {
            if !matches!(key.as_str(), "field" | "op" | "value" | "from" | "to") {
                errors.push(err(
                    &format!("{path}.{key}"),
                    "unknown key; a test has field, op, value (and from/to for changed)",
                ));
            }
        }
        let field = match obj.get("field").and_then(Json::as_str) {
            Some(name) => Field::parse(name).or_else(|| {
                let known: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
                errors.push(err(
                    &format!("{path}.field"),
                    format!("unknown field `{name}`; known fields: {}", known.join(", ")),
                ));
                None
            }),
            None => {
                errors.push(err(
                    &format!("{path}.field"),
                    "missing (a field name such as message.text)",
                ));
                None
            }
        };
        let op = match obj.get("op").and_then(Json::as_str) {
            Some(name) => Op::parse(name).or_else(|| {
                let known: Vec<&str> = Op::ALL.iter().map(|o| o.name()).collect();
                errors.push(err(
                    &format!("{path}.op"),
                    format!(
                        "unknown operator `{name}`; expected one of {}",
                        known.join(", ")
                    ),
                ));
                None
            }),
            None => {
                errors.push(err(&format!("{path}.op"), "missing"));
                None
            }
        };
        let (field, op) = (field?, op?);
        let kind = field.kind();
        if !op.valid_for(kind) {
            errors.push(err(
                &format!("{path}.op"),
                format!(
                    "`{}` does not apply to {} (a {})",
                    op.name(),
                    field.name(),
                    kind_name(kind)
                ),
            ));
            return None;
        }
        // The operand: a scalar of the field's kind (list fields take text to look for), a
        // list of such scalars for `in`, nothing for present/absent, optional from/to for
        // changed.
        let scalar_kind = if kind == Kind::List { Kind::Text } else { kind };
        let mut value = Value::Absent;
        let (mut from, mut to) = (None, None);
        match op {
            Op::Present | Op::Absent => {
                if obj.contains_key("value") {
                    errors.push(err(
                        &format!("{path}.value"),
                        format!("`{}` takes no value", op.name()),
                    ));
                }
            }
            Op::Changed => {
                if obj.contains_key("value") {
                    errors.push(err(
                        &format!("{path}.value"),
                        "`changed` takes optional `from` and `to`, not `value`",
                    ));
                }
                for (key, slot) in [("from", &mut from), ("to", &mut to)] {
                    if let Some(v) = obj.get(key) {
                        *slot = scalar(v, scalar_kind, &format!("{path}.{key}"), errors);
                    }
                }
            }
            Op::In => match obj.get("value").and_then(Json::as_array) {
                Some(items) if !items.is_empty() => {
                    let mut list = Vec::new();
                    for (i, v) in items.iter().enumerate() {
                        match scalar(v, scalar_kind, &format!("{path}.value[{i}]"), errors) {
                            Some(Value::Text(s)) => list.push(s),
                            Some(Value::Number(n)) => list.push(number_key(n)),
                            Some(Value::Bool(b)) => list.push(b.to_string()),
                            _ => {}
                        }
                    }
                    value = Value::List(list);
                }
                _ => errors.push(err(&format!("{path}.value"), "`in` takes a non-empty list")),
            },
            _ => match obj.get("value") {
                Some(v) => {
                    if let Some(v) = scalar(v, scalar_kind, &format!("{path}.value"), errors) {
                        value = v;
                    }
                }
                None => errors.push(err(&format!("{path}.value"), "missing")),
            },
        }
        if (obj.contains_key("from") || obj.contains_key("to")) && op != Op::Changed {
            errors.push(err(
                path,
                "`from` and `to` belong to the `changed` operator",
            ));
        }
        (errors.len() == before).then_some(Test {
            field,
            op,
            value,
            from,
            to,
        })
    }

    pub fn holds(&self, facts: &Facts) -> bool {
        let actual = facts.get(self.field);
        match self.op {
            Op::Present => actual.is_present(),
            Op::Absent => !actual.is_present(),
            Op::Changed => match facts.before(self.field) {
                None => false,
                Some(before) => {
                    before != actual
                        && self.from.as_ref().is_none_or(|f| equals(before, f))
                        && self.to.as_ref().is_none_or(|t| equals(actual, t))
                }
            },
            Op::Eq => equals(actual, &self.value),
            Op::Ne => !equals(actual, &self.value),
            Op::Contains => contains(actual, &self.value),
            Op::NotContains => !contains(actual, &self.value),
            Op::StartsWith => match (actual, &self.value) {
                (Value::Text(a), Value::Text(b)) => a.starts_with(b.as_str()),
                _ => false,
            },
            Op::Gt | Op::Lt => match (actual, &self.value) {
                (Value::Number(a), Value::Number(b)) => {
                    if self.op == Op::Gt {
                        a > b
                    } else {
                        a < b
                    }
                }
                _ => false,
            },
            Op::In => match (actual, &self.value) {
                (Value::Text(a), Value::List(options)) => options.iter().any(|o| o == a),
                (Value::Number(a), Value::List(options)) => {
                    let key = number_key(*a);
                    options.contains(&key)
                }
                (Value::Bool(a), Value::List(options)) => {
                    options.iter().any(|o| *o == a.to_string())
                }
                (Value::List(items), Value::List(options)) => {
                    items.iter().any(|i| options.contains(i))
                }
                _ => false,
            },
        }
    }

    fn describe(&self, facts: &Facts, held: bool) -> String {
        let actual = facts.get(self.field);
        let mut s = format!("{} {}", self.field.name(), self.op.name());
        match self.op {
            Op::Present | Op::Absent => {}
            Op::Changed => {
                if let Some(f) = &self.from {
                    let _ = write!(s, " from {f}");
                }
                if let Some(t) = &self.to {
                    let _ = write!(s, " to {t}");
                }
                let before = facts.before(self.field).cloned().unwrap_or_default();
                let _ = write!(s, " (was {before}, is {actual})");
                return format!("{s}: {}", if held { "yes" } else { "no" });
            }
            _ => {
                let _ = write!(s, " {}", self.value);
            }
        }
        if matches!(self.field, Field::MessageText) {
            format!("{s}: {}", if held { "yes" } else { "no" })
        } else {
            format!("{s} (is {actual}): {}", if held { "yes" } else { "no" })
        }
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "text",
        Kind::Number => "number",
        Kind::Bool => "true/false",
        Kind::List => "list",
    }
}

/// Numbers in lists (for `in`) compare by their shortest decimal form.
fn number_key(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn scalar(v: &Json, kind: Kind, path: &str, errors: &mut Vec<RuleError>) -> Option<Value> {
    let parsed = match kind {
        Kind::Text | Kind::List => v.as_str().map(Value::text),
        Kind::Number => v.as_f64().map(Value::Number),
        Kind::Bool => v.as_bool().map(Value::Bool),
    };
    if parsed.is_none() {
        errors.push(err(path, format!("expected {}, got {v}", kind_name(kind))));
    }
    parsed
}

fn equals(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Absent, _) | (_, Value::Absent) => false,
        (Value::Text(a), Value::Text(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::List(a), Value::List(b)) => a == b,
        (Value::List(a), Value::Text(b)) => a.len() == 1 && a[0] == *b,
        _ => false,
    }
}

fn contains(actual: &Value, needle: &Value) -> bool {
    match (actual, needle) {
        (Value::Text(hay), Value::Text(n)) => hay.contains(n.as_str()),
        (Value::List(items), Value::Text(n)) => items.iter().any(|i| i == n),
        _ => false,
    }
}
