//! What the audit's unit tests share: a small deterministic generator, JSON-ish lines made
//! from it, and a row line of the audit's fields.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

/// Marsaglia's xorshift: the same numbers from the same seed, on every machine.
pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn new(seed: u64) -> XorShift {
        XorShift(seed.max(1))
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (at least 1).
    pub(crate) fn below(&mut self, n: u64) -> usize {
        (self.next() % n.max(1)) as usize
    }
}

/// A dead run's line: company `c{company}`, session `s{session}`, a time from `minute`, and
/// `extra` members before the closing brace.
pub(crate) fn row(company: usize, session: usize, minute: usize, extra: &str) -> String {
    format!(
        r#"{{"company_id":"c{company}","agent_id":"a","session_id_before":"s{session}","session_id_after":"s{session}","created_at":"2026-06-0{}T00:{:02}:00Z","liveness_state":"failed","usage_json":{{"sessionReused":true,"inputTokens":0}}{extra}}}"#,
        1 + minute % 3,
        minute % 60
    )
}

/// A small deterministic generator of JSON-ish lines: rows with the audit's fields and
/// others, values of every shape (and broken ones), escapes, control characters, surrogate
/// escapes, deep nesting, odd whitespace, then now and then a byte changed at random.
pub(crate) struct Lines(XorShift);

impl Lines {
    pub(crate) fn new(seed: u64) -> Lines {
        Lines(XorShift::new(seed))
    }

    fn below(&mut self, n: u64) -> usize {
        self.0.below(n)
    }

    fn pick<'p>(&mut self, items: &[&'p str]) -> &'p str {
        items[self.below(items.len() as u64)]
    }

    fn string(&mut self) -> String {
        let parts = [
            "s",
            "dead",
            "sess-1",
            "failed",
            "2026-06-01T00:00:00Z",
            "2026-06-01 05:30:00+05:30",
            "é✓😀",
            " ",
            "",
        ];
        let escapes = [
            "\\\"",
            "\\\\",
            "\\n",
            "\\t",
            "\\/",
            "\\u0041",
            "\\ud83d\\ude00",
            "\\ud800",
            "\\x",
            "\t",
            "\u{1}",
            "\\u00g1",
            "\\u+041",
        ];
        let mut out = String::from("\"");
        for _ in 0..self.below(4) {
            if self.below(5) == 0 {
                out.push_str(self.pick(&escapes));
            } else {
                out.push_str(self.pick(&parts));
            }
        }
        if self.below(40) != 0 {
            out.push('"');
        }
        out
    }

    fn value(&mut self, depth: usize) -> String {
        let numbers = [
            "0",
            "-0",
            "12",
            "0.5",
            "1e400",
            "-1e400",
            "1e-400",
            "01",
            "-",
            "1.",
            ".5",
            "1e",
            "1E+2",
            "123456789012345678901234567890",
            "3.0e0",
            "+1",
            "NaN",
        ];
        let literals = ["true", "false", "null", "tru", "nul", "True"];
        match self.below(if depth > 3 { 4 } else { 7 }) {
            0 | 1 => self.string(),
            2 => self.pick(&numbers).to_owned(),
            3 => self.pick(&literals).to_owned(),
            4 => self.object(depth + 1),
            5 => {
                let items: Vec<String> = (0..self.below(4)).map(|_| self.value(depth + 1)).collect();
                format!("[{}{}]", items.join(","), if self.below(20) == 0 { "," } else { "" })
            }
            _ => {
                // Deep nesting, past serde_json's limit now and then.
                let n = self.below(140);
                format!("{}{}", "[".repeat(n), "]".repeat(n))
            }
        }
    }

    fn key(&mut self) -> String {
        let keys = [
            "company_id",
            "companyId",
            "agent_id",
            "agent_id",
            "session_id_after",
            "sessionIdBefore",
            "session_id_before",
            "created_at",
            "createdAt",
            "liveness_state",
            "usage_json",
            "usageJson",
            "sessionReused",
            "persistedSessionId",
            "inputTokens",
            "rawInputTokens",
            "outputTokens",
            "stdout_excerpt",
            "result_json",
            "x",
            "compa\\u006ey_id",
        ];
        format!("\"{}\"", self.pick(&keys))
    }

    fn object(&mut self, depth: usize) -> String {
        let spaces = ["", " ", "\t", "\r\n", "  "];
        let members: Vec<String> = (0..self.below(9))
            .map(|_| {
                let sep = if self.below(60) == 0 { "" } else { ":" };
                format!(
                    "{}{}{sep}{}{}",
                    self.pick(&spaces),
                    self.key(),
                    self.pick(&spaces),
                    self.value(depth)
                )
            })
            .collect();
        let trailing = if self.below(40) == 0 { "," } else { "" };
        format!("{{{}{trailing}}}", members.join(","))
    }

    /// One line: mostly a row, now and then with a byte changed.
    pub(crate) fn line(&mut self) -> Vec<u8> {
        let mut bytes = self.object(0).into_bytes();
        if self.below(10) == 0 {
            bytes.extend_from_slice(self.pick(&[" ", "x", "}", "\r"]).as_bytes());
        }
        if self.below(8) == 0 && !bytes.is_empty() {
            let at = self.below(bytes.len() as u64);
            bytes[at] = [b'"', b'\\', b'{', b',', 0x80, b'0', b' ', 0x1f][self.below(8)];
        }
        bytes
    }
}
