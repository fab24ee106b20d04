//! The grammar, by recursive descent; values are checked against their
//! field's kind here, once, so evaluation never parses or allocates.
//!
//! ```text
//! expr    := and ( ("||" | "or") and )*
//! and     := unary ( ("&&" | "and") unary )*
//! unary   := ("!" | "not") unary | "(" expr ")" | test
//! test    := FIELD [ CMP value | "in" "{" value ( [","] value )* "}" ]
//! CMP     := "==" | "!=" | "<" | "<=" | ">" | ">=" | eq ne lt le gt ge
//! value   := WORD | "STRING"
//! ```

use std::net::IpAddr;

use super::FilterError;
use super::fields::{self, Field, Kind};
use super::lex::{Op, Tok, Token};

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Or(Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Test(Test),
}

/// One test of one field.
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    pub field: &'static Field,
    pub check: Check,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// The field alone: true for a boolean, present for the others.
    Bare,
    Cmp(Op, Value),
    In(Vec<Value>),
}

/// A value, already in its field's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    Int(u64),
    /// Nanoseconds since the epoch.
    Time(i64),
    /// `a..b` inside a set, both ends included.
    Range(u64, u64),
    Bool(bool),
    /// An address and a prefix length (32 / 128 for one address).
    Net(IpAddr, u8),
    Ring(RingPat),
    /// One of the field's names (the table's own `&'static str`).
    Name(&'static str),
}

/// A ring id to match: `rep` (corosync 3) or `addr` (corosync 2), and seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingPat {
    pub rep: Option<u32>,
    pub addr: Option<IpAddr>,
    pub seq: u64,
}

/// Deepest nesting of `(` and `!` (the parser and the evaluator recurse).
const MAX_DEPTH: usize = 64;
/// Most `&&` / `||` in one expression (each is a level of the tree).
const MAX_CHAIN: usize = 1024;

struct Parser<'t> {
    src: &'t str,
    toks: &'t [Token],
    pos: usize,
    depth: usize,
    links: usize,
}

/// Parses the tokens of `src` into one expression.
pub fn parse(src: &str, toks: &[Token]) -> Result<Node, FilterError> {
    let mut p = Parser {
        src,
        toks,
        pos: 0,
        depth: 0,
        links: 0,
    };
    let n = p.or()?;
    let t = p.peek();
    match t.tok {
        Tok::End => Ok(n),
        Tok::RParen => Err(p.err_at(t, "unmatched ')'".into())),
        _ => Err(p.err_at(
            t,
            format!(
                "unexpected {} (expected '&&', '||' or the end)",
                t.tok.show()
            ),
        )),
    }
}

impl<'t> Parser<'t> {
    fn peek(&self) -> &'t Token {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }
    fn next(&mut self) -> &'t Token {
        let t = self.peek();
        if t.tok != Tok::End {
            self.pos += 1;
        }
        t
    }
    fn err_at(&self, t: &Token, msg: String) -> FilterError {
        FilterError::new(self.src, msg, t.col, t.width)
    }

    fn or(&mut self) -> Result<Node, FilterError> {
        self.chain(Tok::Or, Self::and, Node::Or)
    }

    fn and(&mut self) -> Result<Node, FilterError> {
        self.chain(Tok::And, Self::unary, Node::And)
    }

    /// `operand (op operand)*`, left-associative.
    fn chain(
        &mut self,
        op: Tok,
        operand: fn(&mut Self) -> Result<Node, FilterError>,
        node: fn(Box<Node>, Box<Node>) -> Node,
    ) -> Result<Node, FilterError> {
        let mut left = operand(self)?;
        while self.peek().tok == op {
            let t = self.next();
            self.links += 1;
            if self.links > MAX_CHAIN {
                return Err(self.err_at(t, format!("more than {MAX_CHAIN} '&&' and '||'")));
            }
            let right = operand(self)?;
            left = node(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node, FilterError> {
        let t = self.next();
        if matches!(t.tok, Tok::Not | Tok::LParen) {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.err_at(
                    t,
                    format!("nested too deeply ({MAX_DEPTH} levels of '(' and '!' at most)"),
                ));
            }
        }
        let n = self.primary(t);
        if matches!(t.tok, Tok::Not | Tok::LParen) {
            self.depth -= 1;
        }
        n
    }

    fn primary(&mut self, t: &'t Token) -> Result<Node, FilterError> {
        match &t.tok {
            Tok::Not => Ok(Node::Not(Box::new(self.unary()?))),
            Tok::LParen => {
                let inner = self.or()?;
                let close = self.next();
                if close.tok != Tok::RParen {
                    return Err(self.err_at(
                        close,
                        format!(
                            "expected ')' to close the '(' of column {}, found {}",
                            t.col,
                            close.tok.show()
                        ),
                    ));
                }
                Ok(inner)
            }
            Tok::Word(name) => {
                let Some(field) = fields::lookup(name) else {
                    let hint = match fields::suggest(name) {
                        Some(s) => format!("did you mean '{s}'? fields: {}", fields::names()),
                        None => format!("fields: {}", fields::names()),
                    };
                    return Err(self
                        .err_at(t, format!("unknown field '{name}'"))
                        .with_hint(hint));
                };
                self.test(field)
            }
            other => Err(self.err_at(t, format!("expected a field name, found {}", other.show()))),
        }
    }

    fn test(&mut self, field: &'static Field) -> Result<Node, FilterError> {
        let t = self.peek();
        let check = match t.tok {
            Tok::Cmp(op) => {
                self.next();
                self.applies(field, t, Some(op))?;
                let v = self.value(field, op.symbol(), false)?;
                Check::Cmp(op, v)
            }
            Tok::In => {
                self.next();
                self.applies(field, t, None)?;
                let open = self.next();
                if open.tok != Tok::LBrace {
                    return Err(self.err_at(
                        open,
                        format!("expected '{{' after 'in', found {}", open.tok.show()),
                    ));
                }
                let mut set = Vec::new();
                loop {
                    match self.peek().tok {
                        Tok::RBrace => {
                            let close = self.next();
                            if set.is_empty() {
                                return Err(self.err_at(close, "empty set".into()));
                            }
                            break;
                        }
                        Tok::Comma if !set.is_empty() => {
                            self.next();
                        }
                        _ => set.push(self.value(field, "in", true)?),
                    }
                }
                Check::In(set)
            }
            _ => Check::Bare,
        };
        Ok(Node::Test(Test { field, check }))
    }

    /// Whether an operator (None: `in`) applies to the field.
    fn applies(&self, field: &Field, t: &Token, op: Option<Op>) -> Result<(), FilterError> {
        let shown = op.map_or("in", Op::symbol);
        if field.kind == Kind::Presence {
            return Err(self.err_at(
                t,
                format!(
                    "'{shown}' does not apply to {} (it is tested alone: `{}`)",
                    field.name, field.name
                ),
            ));
        }
        if op.is_some_and(|o| !matches!(o, Op::Eq | Op::Ne)) && !field.kind.ordered() {
            return Err(self.err_at(
                t,
                format!(
                    "'{shown}' does not apply to {} ({}: use ==, != or in)",
                    field.name,
                    field.kind.describe()
                ),
            ));
        }
        Ok(())
    }

    fn value(&mut self, field: &Field, after: &str, in_set: bool) -> Result<Value, FilterError> {
        let t = self.next();
        let text = match &t.tok {
            Tok::Word(w) | Tok::Str(w) => w.as_str(),
            other => {
                return Err(self.err_at(
                    t,
                    format!("expected a value after '{after}', found {}", other.show()),
                ));
            }
        };
        value_of(field, text, in_set).map_err(|m| self.err_at(t, m))
    }
}

/// Reads `text` as a value of `field`'s kind.
fn value_of(field: &Field, text: &str, in_set: bool) -> Result<Value, String> {
    let bad = |what: &str| format!("'{text}' is not {what} (for {})", field.name);
    match field.kind {
        Kind::Int => {
            if let Some((a, b)) = text.split_once("..") {
                if !in_set {
                    return Err(format!(
                        "a range goes in a set: {} in {{{text}}}",
                        field.name
                    ));
                }
                let (a, b) = (
                    int(a).ok_or_else(|| bad("a range of integers"))?,
                    int(b).ok_or_else(|| bad("a range of integers"))?,
                );
                if a > b {
                    return Err(format!("empty range '{text}'"));
                }
                return Ok(Value::Range(a, b));
            }
            int(text).map(Value::Int).ok_or_else(|| bad("an integer"))
        }
        Kind::Time => time(text)
            .map(Value::Time)
            .ok_or_else(|| bad("a time (epoch seconds, as `decode --epoch` prints)")),
        Kind::Bool => match text {
            "true" | "1" => Ok(Value::Bool(true)),
            "false" | "0" => Ok(Value::Bool(false)),
            _ => Err(bad("true or false")),
        },
        Kind::Addr => {
            let (a, len) = match text.split_once('/') {
                Some((a, l)) => (a, Some(l)),
                None => (text, None),
            };
            let addr: IpAddr = a.parse().map_err(|_| bad("an IPv4 or IPv6 address"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix = match len {
                None => max,
                Some(l) => l
                    .parse::<u8>()
                    .ok()
                    .filter(|l| *l <= max)
                    .ok_or_else(|| format!("bad prefix length '/{l}' (0 to {max})"))?,
            };
            Ok(Value::Net(addr, prefix))
        }
        Kind::Ring => ring(text).map(Value::Ring).ok_or_else(|| {
            bad("a ring id (\"REP.SEQ\" in hex, as corosync 3 logs it, or \"IP:SEQ\")")
        }),
        Kind::Enum(names) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(text))
            .map(|n| Value::Name(n))
            .ok_or_else(|| {
                format!(
                    "'{text}' is not a {} (values: {})",
                    field.name,
                    names.join(", ")
                )
            }),
        Kind::Presence => Err(format!("{} is tested alone", field.name)),
    }
}

/// Decimal or 0x hex.
fn int(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Epoch seconds with up to 9 decimals, in ns.
fn time(s: &str) -> Option<i64> {
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ns: i64 = format!("{frac:0<9}").parse().ok()?;
    secs.parse::<i64>()
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(ns)
}

/// `1.15` (hex REP.SEQ) or `10.0.0.1:12` / `fe80::1:12` (IP:SEQ, decimal).
fn ring(s: &str) -> Option<RingPat> {
    if let Some((a, seq)) = s.rsplit_once(':') {
        let addr: IpAddr = a.parse().ok()?;
        return Some(RingPat {
            rep: None,
            addr: Some(addr),
            seq: seq.parse().ok()?,
        });
    }
    let (rep, seq) = s.split_once('.')?;
    Some(RingPat {
        rep: Some(u32::from_str_radix(rep, 16).ok()?),
        addr: None,
        seq: u64::from_str_radix(seq, 16).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::fields::Id;
    use crate::filter::lex::lex;

    fn p(s: &str) -> Node {
        parse(s, &lex(s).unwrap()).unwrap_or_else(|e| panic!("{s}: {e}"))
    }
    fn e(s: &str) -> FilterError {
        let toks = lex(s).unwrap();
        parse(s, &toks).unwrap_err()
    }
    fn test(n: &Node) -> (Id, &Check) {
        match n {
            Node::Test(t) => (t.field.id, &t.check),
            other => panic!("not a test: {other:?}"),
        }
    }

    #[test]
    fn a_comparison() {
        let n = p("knet.node == 3");
        assert_eq!(test(&n), (Id::KnetNode, &Check::Cmp(Op::Eq, Value::Int(3))));
        let n = p("totem.type == orf_token");
        assert_eq!(
            test(&n),
            (Id::TotemType, &Check::Cmp(Op::Eq, Value::Name("orf_token")))
        );
    }

    #[test]
    fn and_binds_tighter_than_or_and_not_tighter_than_and() {
        // a || b && !c  ==  a || (b && (!c))
        let n = p("link == 0 || link == 1 && !decrypted");
        let Node::Or(a, rest) = n else {
            panic!("{n:?}")
        };
        assert_eq!(test(&a).0, Id::KnetLink);
        let Node::And(b, c) = *rest else {
            panic!("{rest:?}")
        };
        assert_eq!(test(&b).0, Id::KnetLink);
        let Node::Not(c) = *c else { panic!("{c:?}") };
        assert_eq!(test(&c), (Id::Decrypted, &Check::Bare));
        // Words and symbols alike; left-associative.
        assert_eq!(
            p("n == 1 or n == 2 or n == 3"),
            p("(n == 1 || n == 2) || n == 3")
        );
        assert_eq!(p("not n == 1 and n == 2"), p("(!n == 1) && n == 2"));
    }

    #[test]
    fn parentheses_group() {
        let n = p("!(knet.type == data)");
        let Node::Not(inner) = n else { panic!("{n:?}") };
        assert_eq!(test(&inner).0, Id::KnetType);
        let n = p("(n == 1 || n == 2) && n == 3");
        assert!(matches!(n, Node::And(..)), "{n:?}");
    }

    #[test]
    fn values_take_their_fields_kind() {
        let v = |s: &str| match test(&p(s)).1.clone() {
            Check::Cmp(_, v) => v,
            c => panic!("{c:?}"),
        };
        assert_eq!(v("knet.seq >= 0x10"), Value::Int(16));
        assert_eq!(
            v("ip.src == 10.77.0.1"),
            Value::Net("10.77.0.1".parse().unwrap(), 32)
        );
        assert_eq!(
            v("ip.addr == fe80::1"),
            Value::Net("fe80::1".parse().unwrap(), 128)
        );
        assert_eq!(
            v("ip.dst == 10.77.0.0/16"),
            Value::Net("10.77.0.0".parse().unwrap(), 16)
        );
        assert_eq!(
            v("ring == \"1.15\""),
            Value::Ring(RingPat {
                rep: Some(1),
                addr: None,
                seq: 0x15
            })
        );
        assert_eq!(
            v("ring == 10.0.0.1:12"),
            Value::Ring(RingPat {
                rep: None,
                addr: Some("10.0.0.1".parse().unwrap()),
                seq: 12
            })
        );
        assert_eq!(v("knet.bcast == true"), Value::Bool(true));
        assert_eq!(
            v("ts >= 1795318679.5"),
            Value::Time(1_795_318_679_500_000_000)
        );
        assert_eq!(v("ts < 12"), Value::Time(12_000_000_000));
        assert_eq!(v("ts == 1.000000001"), Value::Time(1_000_000_001));
        assert_eq!(v("class == totem-udp"), Value::Name("totem-udp"));
        assert_eq!(v("knet.type == \"PING\""), Value::Name("ping"));
    }

    #[test]
    fn sets_with_spaces_commas_and_ranges() {
        let n = p("knet.type in {ping pong}");
        assert_eq!(
            test(&n).1,
            &Check::In(vec![Value::Name("ping"), Value::Name("pong")])
        );
        let n = p("knet.node in {1, 3..5}");
        assert_eq!(
            test(&n).1,
            &Check::In(vec![Value::Int(1), Value::Range(3, 5)])
        );
    }

    #[test]
    fn errors_point_at_the_token() {
        for (src, col, msg) in [
            ("knet.typ == ping", 1, "unknown field 'knet.typ'"),
            ("knet.type == pingg", 14, "'pingg' is not a knet.type"),
            ("knet.node == three", 14, "'three' is not an integer"),
            ("knet.type < ping", 11, "'<' does not apply to knet.type"),
            ("knet == 1", 6, "'==' does not apply to knet"),
            ("ip.src == 10.77.0.300", 11, "not an IPv4 or IPv6 address"),
            ("ip.src == 10.0.0.0/33", 11, "bad prefix length '/33'"),
            ("ring == \"1\"", 9, "not a ring id"),
            ("ts > 1.0000000001", 6, "not a time"),
            ("ts > -1", 6, "not a time"),
            ("ts > 1e9", 6, "not a time"),
            (
                "knet.node ==",
                13,
                "expected a value after '==', found the end",
            ),
            (
                "(link == 1",
                11,
                "expected ')' to close the '(' of column 1",
            ),
            ("link == 1)", 10, "unmatched ')'"),
            ("link == 1 link == 2", 11, "unexpected 'link'"),
            ("== 1", 1, "expected a field name, found '=='"),
            ("", 1, "expected a field name, found the end"),
            ("link in {}", 10, "empty set"),
            ("link in 1", 9, "expected '{' after 'in'"),
            ("knet.seq == 1..3", 13, "a range goes in a set"),
            ("knet.seq in {3..1}", 14, "empty range"),
            ("link == 1 &&", 13, "expected a field name"),
            (
                &format!("{}n == 1", "!".repeat(65)),
                65,
                "nested too deeply",
            ),
            (
                &format!("{}n == 1{}", "(".repeat(65), ")".repeat(65)),
                65,
                "nested too deeply",
            ),
            (
                &format!("n == 1{}", " || n == 1".repeat(1025)),
                10248,
                "more than 1024",
            ),
        ] {
            let err = e(src);
            let shown = &src[..src.len().min(40)];
            assert!(err.msg.contains(msg), "{shown}: {}", err.msg);
            assert_eq!(err.col, col, "{shown}: {}", err.msg);
        }
        let err = e("knet.typ == ping");
        assert!(
            err.hint
                .as_deref()
                .is_some_and(|h| h.contains("did you mean 'knet.type'") && h.contains("totem.seq")),
            "{:?}",
            err.hint
        );
    }
}
