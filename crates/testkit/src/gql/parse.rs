//! A minimal GraphQL reader: one operation, fields with aliases, arguments and selection
//! sets. Enough to answer the client's queries by root field and to return only the fields
//! asked for; fragments and directives are not supported.

use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub struct Field {
    pub alias: Option<String>,
    pub name: String,
    pub args: Map<String, Value>,
    pub selection: Vec<Field>,
}

impl Field {
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Var(String),
    Str(String),
    Num(String),
    Punct(char),
}

fn tokenize(src: &str) -> Result<Vec<Tok>, String> {
    let cs: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() || c == ',' {
            i += 1;
        } else if c == '#' {
            while i < cs.len() && cs[i] != '\n' {
                i += 1;
            }
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            let start = if c == '$' { i + 1 } else { i };
            i = start;
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            let s: String = cs[start..i].iter().collect();
            out.push(if c == '$' { Tok::Var(s) } else { Tok::Name(s) });
        } else if c.is_ascii_digit() || c == '-' {
            let start = i;
            i += 1;
            while i < cs.len() && (cs[i].is_ascii_digit() || ".eE+-".contains(cs[i])) {
                i += 1;
            }
            out.push(Tok::Num(cs[start..i].iter().collect()));
        } else if c == '"' {
            i += 1;
            let mut s = String::new();
            while i < cs.len() && cs[i] != '"' {
                if cs[i] == '\\' && i + 1 < cs.len() {
                    i += 1;
                    s.push(match cs[i] {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                } else {
                    s.push(cs[i]);
                }
                i += 1;
            }
            if i >= cs.len() {
                return Err("Syntax Error: Unterminated string.".into());
            }
            i += 1;
            out.push(Tok::Str(s));
        } else if c == '.' && cs.get(i + 1) == Some(&'.') {
            return Err("fragments are not supported by the testkit".into());
        } else if "{}()[]:!=@".contains(c) {
            out.push(Tok::Punct(c));
            i += 1;
        } else {
            return Err(format!("Syntax Error: Unexpected character \"{c}\"."));
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    vars: &'a Map<String, Value>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn expect(&mut self, c: char) -> Result<(), String> {
        match self.next() {
            Some(Tok::Punct(p)) if p == c => Ok(()),
            other => Err(format!("Syntax Error: Expected \"{c}\", found {other:?}.")),
        }
    }
    fn is(&self, c: char) -> bool {
        self.peek() == Some(&Tok::Punct(c))
    }

    fn skip_balanced(&mut self, open: char, close: char) -> Result<(), String> {
        self.expect(open)?;
        let mut depth = 1;
        while depth > 0 {
            match self.next() {
                Some(Tok::Punct(c)) if c == open => depth += 1,
                Some(Tok::Punct(c)) if c == close => depth -= 1,
                Some(_) => {}
                None => return Err("Syntax Error: unbalanced brackets.".into()),
            }
        }
        Ok(())
    }

    fn document(&mut self) -> Result<Vec<Field>, String> {
        if let Some(Tok::Name(n)) = self.peek().cloned() {
            if n == "mutation" || n == "subscription" {
                return Err(format!("the testkit does not support {n} operations"));
            }
            if n != "query" {
                return Err(format!("Syntax Error: Unexpected Name \"{n}\"."));
            }
            self.next();
            if let Some(Tok::Name(_)) = self.peek() {
                self.next();
            }
            if self.is('(') {
                self.skip_balanced('(', ')')?;
            }
        }
        let fields = self.selection_set()?;
        if self.pos < self.toks.len() {
            return Err("only one operation per document is supported".into());
        }
        Ok(fields)
    }

    fn selection_set(&mut self) -> Result<Vec<Field>, String> {
        self.expect('{')?;
        let mut fields = Vec::new();
        while !self.is('}') {
            fields.push(self.field()?);
        }
        self.expect('}')?;
        Ok(fields)
    }

    fn field(&mut self) -> Result<Field, String> {
        let Some(Tok::Name(first)) = self.next() else {
            return Err("Syntax Error: Expected Name.".into());
        };
        let (alias, name) = if self.is(':') {
            self.next();
            match self.next() {
                Some(Tok::Name(n)) => (Some(first), n),
                _ => return Err("Syntax Error: Expected Name after alias.".into()),
            }
        } else {
            (None, first)
        };
        let mut args = Map::new();
        if self.is('(') {
            self.next();
            while !self.is(')') {
                let Some(Tok::Name(arg)) = self.next() else {
                    return Err("Syntax Error: Expected argument name.".into());
                };
                self.expect(':')?;
                let v = self.value()?;
                args.insert(arg, v);
            }
            self.expect(')')?;
        }
        if self.is('@') {
            return Err("directives are not supported by the testkit".into());
        }
        let selection = if self.is('{') {
            self.selection_set()?
        } else {
            Vec::new()
        };
        Ok(Field {
            alias,
            name,
            args,
            selection,
        })
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.next() {
            Some(Tok::Var(v)) => Ok(self.vars.get(&v).cloned().unwrap_or(Value::Null)),
            Some(Tok::Str(s)) => Ok(Value::String(s)),
            Some(Tok::Num(n)) => serde_json::from_str(&n).map_err(|_| format!("bad number {n}")),
            Some(Tok::Name(n)) => Ok(match n.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ => Value::String(n),
            }),
            Some(Tok::Punct('[')) => {
                let mut items = Vec::new();
                while !self.is(']') {
                    items.push(self.value()?);
                }
                self.expect(']')?;
                Ok(Value::Array(items))
            }
            Some(Tok::Punct('{')) => {
                let mut m = Map::new();
                while !self.is('}') {
                    let Some(Tok::Name(k)) = self.next() else {
                        return Err("Syntax Error: Expected object key.".into());
                    };
                    self.expect(':')?;
                    m.insert(k, self.value()?);
                }
                self.expect('}')?;
                Ok(Value::Object(m))
            }
            other => Err(format!("Syntax Error: Unexpected {other:?}.")),
        }
    }
}

/// The root fields of a query, with variables substituted.
pub fn parse(query: &str, vars: &Map<String, Value>) -> Result<Vec<Field>, String> {
    let toks = tokenize(query)?;
    Parser { toks, pos: 0, vars }.document()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_clients_list_query() {
        let vars = json!({"limit": 10, "offset": 0, "status": "RUNNING"});
        let q = "query($limit:Int!, $offset:Int!, $status:String) {
            compute_session_list(limit:$limit, offset:$offset, status:$status) {
              items { id name status } total_count } }";
        let f = parse(q, vars.as_object().expect("object")).expect("parses");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].name, "compute_session_list");
        assert_eq!(f[0].args["limit"], json!(10));
        assert_eq!(f[0].args["status"], json!("RUNNING"));
        assert_eq!(f[0].selection[0].selection[2].name, "status");
        assert_eq!(f[0].selection[1].name, "total_count");
    }

    #[test]
    fn reads_aliases_literals_and_anonymous_queries() {
        let f = parse(
            r#"{ me: user { email groups { id name } } images(is_installed: true) { name } }"#,
            &Map::new(),
        )
        .expect("parses");
        assert_eq!(f[0].key(), "me");
        assert_eq!(f[0].name, "user");
        assert_eq!(f[1].args["is_installed"], json!(true));
        assert!(parse("{ a(x: \"open", &Map::new()).is_err());
        assert!(parse("mutation { x }", &Map::new()).is_err());
    }
}
