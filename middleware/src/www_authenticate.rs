//! `WWW-Authenticate` as RFC 9110 §11.6.1 writes it: a comma-separated
//! list of challenges, each a scheme followed by either a `token68` or a
//! comma-separated list of `name=value` auth-params, where a value is a
//! token or a quoted string (commas and `\`-escapes inside). A challenge
//! ends where a list element is not `name=value`: that element starts the
//! next challenge. A value that does not follow the grammar yields no
//! challenge at all rather than a guess.
//!
//! ```
//! use revault_auth_middleware::www_authenticate::parse;
//! let challenges = parse(r#"Basic realm="a, b", Bearer error="invalid_token""#);
//! assert_eq!(challenges.len(), 2);
//! assert_eq!(challenges[1].param("error"), Some("invalid_token"));
//! ```

/// One challenge: its scheme and what follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthChallenge {
    scheme: String,
    token68: Option<String>,
    params: Vec<(String, String)>,
}

impl AuthChallenge {
    /// The scheme, as sent (compare it ignoring ASCII case).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// Whether the scheme is `scheme`, ignoring ASCII case.
    pub fn is(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }

    /// The `token68` form's value, if the challenge has one.
    pub fn token68(&self) -> Option<&str> {
        self.token68.as_deref()
    }

    /// The first auth-param named `name` (ignoring ASCII case), unquoted
    /// and unescaped.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every auth-param, in order.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
    }
}

/// The challenges in one `WWW-Authenticate` value; none when the value
/// does not follow the grammar.
pub fn parse(value: &str) -> Vec<AuthChallenge> {
    Parser {
        bytes: value.as_bytes(),
        at: 0,
    }
    .challenges()
    .unwrap_or_default()
}

/// The value did not follow the grammar.
struct Malformed;

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

fn is_token68_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~+/".contains(&byte)
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn at_end(&self) -> bool {
        self.at >= self.bytes.len()
    }

    /// Optional whitespace: spaces and tabs.
    fn skip_whitespace(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
        self.at - start
    }

    /// Whitespace and empty list elements.
    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.at += 1;
        }
    }

    fn text(&self, start: usize) -> String {
        String::from_utf8_lossy(&self.bytes[start..self.at]).into_owned()
    }

    fn token(&mut self) -> Option<String> {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        (self.at > start).then(|| self.text(start))
    }

    fn token68(&mut self) -> Result<String, Malformed> {
        let start = self.at;
        while self.peek().is_some_and(is_token68_char) {
            self.at += 1;
        }
        if self.at == start {
            return Err(Malformed);
        }
        while self.peek() == Some(b'=') {
            self.at += 1;
        }
        Ok(self.text(start))
    }

    /// A quoted string, unescaped; the opening quote is next.
    fn quoted_string(&mut self) -> Result<String, Malformed> {
        self.at += 1;
        let mut unescaped = Vec::new();
        loop {
            match self.peek().ok_or(Malformed)? {
                b'"' => {
                    self.at += 1;
                    return Ok(String::from_utf8_lossy(&unescaped).into_owned());
                }
                b'\\' => {
                    let escaped = *self.bytes.get(self.at + 1).ok_or(Malformed)?;
                    if escaped.is_ascii_control() && escaped != b'\t' {
                        return Err(Malformed);
                    }
                    unescaped.push(escaped);
                    self.at += 2;
                }
                byte if byte.is_ascii_control() && byte != b'\t' => return Err(Malformed),
                byte => {
                    unescaped.push(byte);
                    self.at += 1;
                }
            }
        }
    }

    /// `name BWS "=" BWS value` at the cursor, or `None` (cursor left
    /// where it was) when what is there is not an auth-param.
    fn auth_param(&mut self) -> Result<Option<(String, String)>, Malformed> {
        let start = self.at;
        let Some(name) = self.token() else {
            return Ok(None);
        };
        self.skip_whitespace();
        if self.peek() != Some(b'=') {
            self.at = start;
            return Ok(None);
        }
        self.at += 1;
        self.skip_whitespace();
        let value = match self.peek() {
            Some(b'"') => self.quoted_string()?,
            _ => match self.token() {
                Some(value) => value,
                // `abc=` or `abc==`: a token68, not an auth-param.
                None => {
                    self.at = start;
                    return Ok(None);
                }
            },
        };
        Ok(Some((name, value)))
    }

    /// After an element: the end, or whitespace then a comma.
    fn end_of_element(&mut self) -> Result<(), Malformed> {
        self.skip_whitespace();
        match self.peek() {
            None | Some(b',') => Ok(()),
            Some(_) => Err(Malformed),
        }
    }

    fn challenges(&mut self) -> Result<Vec<AuthChallenge>, Malformed> {
        let mut challenges = Vec::new();
        loop {
            self.skip_separators();
            if self.at_end() {
                return Ok(challenges);
            }
            let scheme = self.token().ok_or(Malformed)?;
            let mut challenge = AuthChallenge {
                scheme,
                token68: None,
                params: Vec::new(),
            };
            let spaced = self.skip_whitespace() > 0;
            if spaced && !matches!(self.peek(), None | Some(b',')) {
                match self.auth_param()? {
                    Some(param) => {
                        challenge.params.push(param);
                        self.more_params(&mut challenge)?;
                    }
                    None => {
                        challenge.token68 = Some(self.token68()?);
                        self.end_of_element()?;
                    }
                }
            } else {
                self.end_of_element()?;
            }
            challenges.push(challenge);
        }
    }

    /// The auth-params after the first, up to the end or the element that
    /// starts the next challenge (the cursor is left before it).
    fn more_params(&mut self, challenge: &mut AuthChallenge) -> Result<(), Malformed> {
        loop {
            self.end_of_element()?;
            self.skip_separators();
            if self.at_end() {
                return Ok(());
            }
            match self.auth_param()? {
                Some(param) => challenge.params.push(param),
                None => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemes(value: &str) -> Vec<String> {
        parse(value).iter().map(|c| c.scheme().to_owned()).collect()
    }

    #[test]
    fn several_challenges_in_one_value_are_split_at_schemes_not_commas() {
        let challenges = parse(r#"Basic realm="x", Bearer realm="y", error="invalid_token""#);
        assert_eq!(challenges.len(), 2);
        assert!(challenges[0].is("basic"));
        assert_eq!(challenges[0].param("realm"), Some("x"));
        assert!(challenges[1].is("BEARER"));
        assert_eq!(challenges[1].param("Error"), Some("invalid_token"));
        assert_eq!(challenges[1].param("realm"), Some("y"));
    }

    #[test]
    fn quoted_strings_keep_commas_and_lose_their_escapes() {
        let challenges = parse(r#"Bearer realm="a, b=c", error_description="\"x\" \\ y""#);
        assert_eq!(challenges.len(), 1);
        assert_eq!(challenges[0].param("realm"), Some("a, b=c"));
        assert_eq!(challenges[0].param("error_description"), Some(r#""x" \ y"#));
    }

    #[test]
    fn token68_challenges_are_read() {
        let challenges = parse("Negotiate YIIB+w/==, NTLM, Bearer error=invalid_token");
        assert_eq!(schemes("Negotiate YIIB+w/==, NTLM"), ["Negotiate", "NTLM"]);
        assert_eq!(challenges[0].token68(), Some("YIIB+w/=="));
        assert_eq!(challenges[1].token68(), None);
        assert_eq!(challenges[2].param("error"), Some("invalid_token"));
        assert_eq!(parse("Basic abc=")[0].token68(), Some("abc="));
        // The grammar reads `error=` alone as a token68, not a parameter.
        assert_eq!(parse("Bearer error=")[0].param("error"), None);
    }

    #[test]
    fn whitespace_around_equals_and_empty_elements_are_allowed() {
        let challenges = parse(" , Bearer realm = \"x\" ,, error\t=\tinvalid_token , ");
        assert_eq!(challenges.len(), 1);
        assert_eq!(challenges[0].param("error"), Some("invalid_token"));
        assert_eq!(challenges[0].params().count(), 2);
    }

    #[test]
    fn a_scheme_alone_and_an_empty_value_parse() {
        assert_eq!(schemes("Bearer"), ["Bearer"]);
        assert!(parse("").is_empty());
        assert!(parse(" , ").is_empty());
    }

    #[test]
    fn values_off_the_grammar_give_no_challenge() {
        for value in [
            r#"Bearer error="unterminated"#,
            r#"Bearer realm="x" error="y""#,
            "Bearer a=b c",
            "=Bearer",
            "Bearer error=\"a\u{1}b\"",
            "Bearer abc== def",
            "Bearer\"x\"",
            "\u{e9}t\u{e9}",
        ] {
            assert!(parse(value).is_empty(), "{value:?}: {:?}", parse(value));
        }
    }
}
