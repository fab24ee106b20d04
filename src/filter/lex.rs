//! Tokens of a display filter, each with its column (1-based, in
//! characters) and width, so errors can point at it.

use super::FilterError;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A field name or a bare value: letters, digits and `_ . : - /`.
    Word(String),
    /// A value in double quotes (`\"` and `\\` escaped).
    Str(String),
    Cmp(Op),
    And,
    Or,
    Not,
    In,
    LParen,
    RParen,
    LBrace,
    RBrace,
    Comma,
    End,
}

impl Tok {
    /// How an error message shows the token.
    pub fn show(&self) -> String {
        match self {
            Tok::Word(w) => format!("'{w}'"),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::Cmp(o) => format!("'{}'", o.symbol()),
            Tok::And => "'&&'".into(),
            Tok::Or => "'||'".into(),
            Tok::Not => "'!'".into(),
            Tok::In => "'in'".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::LBrace => "'{'".into(),
            Tok::RBrace => "'}'".into(),
            Tok::Comma => "','".into(),
            Tok::End => "the end".into(),
        }
    }
}

/// A token and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    /// 1-based column of its first character.
    pub col: usize,
    /// Width in characters (at least 1, for the caret).
    pub width: usize,
}

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-' | '/')
}

/// Splits an expression into tokens, ending with [`Tok::End`].
pub fn lex(src: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |msg: String, col: usize, width: usize| FilterError::new(src, msg, col, width);
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let (tok, width) = match (c, next) {
            ('=', Some('=')) => (Tok::Cmp(Op::Eq), 2),
            ('!', Some('=')) => (Tok::Cmp(Op::Ne), 2),
            ('<', Some('=')) => (Tok::Cmp(Op::Le), 2),
            ('>', Some('=')) => (Tok::Cmp(Op::Ge), 2),
            ('&', Some('&')) => (Tok::And, 2),
            ('|', Some('|')) => (Tok::Or, 2),
            ('<', _) => (Tok::Cmp(Op::Lt), 1),
            ('>', _) => (Tok::Cmp(Op::Gt), 1),
            ('!', _) => (Tok::Not, 1),
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            ('{', _) => (Tok::LBrace, 1),
            ('}', _) => (Tok::RBrace, 1),
            (',', _) => (Tok::Comma, 1),
            ('=', _) => return Err(err("unexpected '=' (use '==')".into(), col, 1)),
            ('&', _) => return Err(err("unexpected '&' (use '&&')".into(), col, 1)),
            ('|', _) => return Err(err("unexpected '|' (use '||')".into(), col, 1)),
            ('"', _) => {
                let mut s = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(err("unterminated string".into(), col, chars.len() - i));
                        }
                        Some('"') => break,
                        Some('\\') if matches!(chars.get(j + 1), Some('"' | '\\')) => {
                            s.push(chars[j + 1]);
                            j += 2;
                        }
                        Some(&ch) => {
                            s.push(ch);
                            j += 1;
                        }
                    }
                }
                (Tok::Str(s), j + 1 - i)
            }
            _ if word_char(c) => {
                let mut j = i;
                while j < chars.len() && word_char(chars[j]) {
                    j += 1;
                }
                let w: String = chars[i..j].iter().collect();
                let tok = match w.to_ascii_lowercase().as_str() {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "in" => Tok::In,
                    "eq" => Tok::Cmp(Op::Eq),
                    "ne" => Tok::Cmp(Op::Ne),
                    "lt" => Tok::Cmp(Op::Lt),
                    "le" => Tok::Cmp(Op::Le),
                    "gt" => Tok::Cmp(Op::Gt),
                    "ge" => Tok::Cmp(Op::Ge),
                    _ => Tok::Word(w),
                };
                (tok, j - i)
            }
            _ => return Err(err(format!("unexpected character '{c}'"), col, 1)),
        };
        out.push(Token { tok, col, width });
        i += width;
    }
    out.push(Token {
        tok: Tok::End,
        col: chars.len() + 1,
        width: 1,
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }
    fn w(s: &str) -> Tok {
        Tok::Word(s.into())
    }

    #[test]
    fn operators_words_and_strings() {
        assert_eq!(
            toks("knet.type==ping&&!(link != 1)||ring == \"1.15\""),
            vec![
                w("knet.type"),
                Tok::Cmp(Op::Eq),
                w("ping"),
                Tok::And,
                Tok::Not,
                Tok::LParen,
                w("link"),
                Tok::Cmp(Op::Ne),
                w("1"),
                Tok::RParen,
                Tok::Or,
                w("ring"),
                Tok::Cmp(Op::Eq),
                Tok::Str("1.15".into()),
                Tok::End,
            ]
        );
        assert_eq!(
            toks("a<b<=c>d>=e"),
            vec![
                w("a"),
                Tok::Cmp(Op::Lt),
                w("b"),
                Tok::Cmp(Op::Le),
                w("c"),
                Tok::Cmp(Op::Gt),
                w("d"),
                Tok::Cmp(Op::Ge),
                w("e"),
                Tok::End
            ]
        );
    }

    #[test]
    fn keywords_are_words_of_their_own() {
        assert_eq!(
            toks("not a and b OR c in {1, 2} eq ne lt le gt ge"),
            vec![
                Tok::Not,
                w("a"),
                Tok::And,
                w("b"),
                Tok::Or,
                w("c"),
                Tok::In,
                Tok::LBrace,
                w("1"),
                Tok::Comma,
                w("2"),
                Tok::RBrace,
                Tok::Cmp(Op::Eq),
                Tok::Cmp(Op::Ne),
                Tok::Cmp(Op::Lt),
                Tok::Cmp(Op::Le),
                Tok::Cmp(Op::Gt),
                Tok::Cmp(Op::Ge),
                Tok::End
            ]
        );
        // A keyword inside a longer word is part of it.
        assert_eq!(toks("android"), vec![w("android"), Tok::End]);
    }

    #[test]
    fn addresses_rings_and_ranges_are_one_word() {
        assert_eq!(
            toks("10.77.0.1 fe80::1 10.0.0.0/8 1.15 1..3 totem-udp 0x1f"),
            vec![
                w("10.77.0.1"),
                w("fe80::1"),
                w("10.0.0.0/8"),
                w("1.15"),
                w("1..3"),
                w("totem-udp"),
                w("0x1f"),
                Tok::End
            ]
        );
    }

    #[test]
    fn columns_and_widths() {
        let t = lex("  knet.node >= 3").unwrap();
        assert_eq!((t[0].col, t[0].width), (3, 9));
        assert_eq!((t[1].col, t[1].width), (13, 2));
        assert_eq!((t[2].col, t[2].width), (16, 1));
        assert_eq!((t[3].tok.clone(), t[3].col), (Tok::End, 17));
    }

    #[test]
    fn escapes_in_strings() {
        assert_eq!(
            toks(r#""a\"b\\c""#),
            vec![Tok::Str("a\"b\\c".into()), Tok::End]
        );
    }

    #[test]
    fn stray_characters_are_errors_at_their_column() {
        for (src, col, msg) in [
            ("link = 1", 6, "use '=='"),
            ("a & b", 3, "use '&&'"),
            ("a | b", 3, "use '||'"),
            ("a == $", 6, "unexpected character '$'"),
            ("ring == \"1.15", 9, "unterminated string"),
        ] {
            let e = lex(src).unwrap_err();
            assert_eq!(e.col, col, "{src}");
            assert!(e.msg.contains(msg), "{src}: {}", e.msg);
        }
    }
}
