//! Edits to `permissions.yaml` that keep the owner's comments and layout:
//! each change rewrites or inserts exactly one line. Inline maps (`users: {}`)
//! are expanded; layouts Molten cannot edit line by line are refused with a
//! clear message rather than rewritten.

use serde_json::Value;

fn quoted(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

/// The key a `  key: value` line defines, unquoted.
fn key_of(line: &str) -> Option<String> {
    let body = line.strip_prefix("  ")?;
    if body.starts_with(' ') || body.starts_with('#') {
        return None;
    }
    if let Some(rest) = body.strip_prefix('"') {
        // A JSON-style quoted key may itself contain ':'.
        let mut escaped = false;
        for (i, c) in rest.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    return serde_json::from_str::<String>(&format!("\"{}\"", &rest[..i])).ok()
                }
                _ => escaped = false,
            }
        }
        return None;
    }
    let (key, _) = body.split_once(':')?;
    Some(key.trim().trim_matches('\'').to_string())
}

/// The lines of a top-level section: (index of its `name:` line, index past its end).
fn section(lines: &[String], name: &str) -> Option<(usize, usize)> {
    let start = lines
        .iter()
        .position(|l| l.starts_with(&format!("{name}:")))?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| !l.is_empty() && !l.starts_with(' ') && !l.starts_with('#'))
        .map_or(lines.len(), |i| start + 1 + i);
    Some((start, end))
}

/// Sets one `key: value` entry inside a top-level section (`None` removes it).
pub fn set_entry(
    text: &str,
    section_name: &str,
    key: &str,
    value: Option<&str>,
) -> Result<String, String> {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let (start, end) = match section(&lines, section_name) {
        Some(s) => s,
        None => {
            lines.push(format!("{section_name}:"));
            (lines.len() - 1, lines.len())
        }
    };
    if lines[start]
        .replace(' ', "")
        .starts_with(&format!("{section_name}:{{}}"))
    {
        lines[start] = format!("{section_name}:");
    } else if lines[start]
        .split('#')
        .next()
        .is_some_and(|c| c.trim_end() != format!("{section_name}:"))
    {
        return Err(format!(
            "`{section_name}:` is written inline; write one entry per line so Molten can edit it"
        ));
    }
    let entry = value.map(|v| format!("  {}: {v}", quoted(key)));
    let existing = (start + 1..end).find(|&i| key_of(&lines[i]).as_deref() == Some(key));
    match (existing, entry) {
        (Some(i), Some(e)) => lines[i] = e,
        (Some(i), None) => {
            lines.remove(i);
        }
        (None, Some(e)) => {
            // After the section's last entry, before trailing blank/comment lines.
            let mut at = end;
            while at > start + 1
                && (lines[at - 1].trim().is_empty() || lines[at - 1].trim_start().starts_with('#'))
            {
                at -= 1;
            }
            lines.insert(at, e);
        }
        (None, None) => {}
    }
    let mut out = lines.join("\n");
    out.push('\n');
    Ok(out)
}

/// A permission list in flow style: `[a, b, "*"]`.
pub fn flow_list(perms: &[String]) -> String {
    let items: Vec<String> = perms
        .iter()
        .map(|p| {
            if p == "*" || p.contains('*') {
                quoted(p)
            } else {
                p.clone()
            }
        })
        .collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# top comment\nroles:\n  # admins\n  admin: [\"*\"]\n  user: [message:send]\n\n# people\nusers:\n  \"local:owner\": admin\n\n# tail\ndefault_role: user\n";

    #[test]
    fn edits_one_line_and_keeps_comments() {
        let t = set_entry(FILE, "users", "telegram:42", Some("user")).expect("add");
        assert!(
            t.contains("  \"local:owner\": admin\n  \"telegram:42\": user\n\n# tail"),
            "inserted after the last entry:\n{t}"
        );
        let t = set_entry(&t, "users", "telegram:42", Some("admin")).expect("change");
        assert!(
            t.contains("\"telegram:42\": admin") && !t.contains("\"telegram:42\": user"),
            "changed in place:\n{t}"
        );
        let t = set_entry(&t, "users", "telegram:42", None).expect("remove");
        assert!(!t.contains("telegram:42"), "removed:\n{t}");
        let t = set_entry(
            &t,
            "roles",
            "user",
            Some(&flow_list(&["message:send".into(), "file:*".into()])),
        )
        .expect("role");
        assert!(
            t.contains("  \"user\": [message:send, \"file:*\"]"),
            "role rewritten:\n{t}"
        );
        for c in ["# top comment", "# admins", "# people", "# tail"] {
            assert!(t.contains(c), "comment {c} kept:\n{t}");
        }
    }

    #[test]
    fn inline_sections_expand_or_refuse() {
        let t = set_entry(
            "roles:\n  admin: [\"*\"]\nusers: {}\ndefault_role: admin\n",
            "users",
            "a:b",
            Some("admin"),
        )
        .expect("expand");
        assert!(
            t.contains("users:\n  \"a:b\": admin\ndefault_role"),
            "expanded:\n{t}"
        );
        let err = set_entry("users: {\"a:b\": admin}\n", "users", "c:d", Some("admin"))
            .expect_err("refused");
        assert!(err.contains("inline"), "says why: {err}");
    }
}
