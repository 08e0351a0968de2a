//! Webhook signatures: `X-Molten-Signature: sha256=<hex>` over
//! `"<X-Molten-Timestamp>.<body>"` with the webhook's secret (HMAC-SHA256),
//! refused outside a five-minute window so a captured request cannot be
//! replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a request's timestamp may be from now, in seconds.
pub const WINDOW_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    Missing,
    Malformed,
    Stale { skew_secs: i64 },
    Mismatch,
}

impl SignatureError {
    pub fn message(&self) -> String {
        match self {
            Self::Missing => "X-Molten-Timestamp and X-Molten-Signature are required".into(),
            Self::Malformed => {
                "the signature must be `sha256=<64 hex digits>` and the timestamp Unix seconds"
                    .into()
            }
            Self::Stale { skew_secs } => {
                format!("the timestamp is {skew_secs} s away from now (limit {WINDOW_SECS} s)")
            }
            Self::Mismatch => "the signature does not match the body".into(),
        }
    }
}

/// The header value a sender computes.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Checks a request's headers against its body, at Unix time `now`.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let (Some(ts), Some(sig)) = (timestamp, signature) else {
        return Err(SignatureError::Missing);
    };
    let ts: i64 = ts.trim().parse().map_err(|_| SignatureError::Malformed)?;
    let given = sig
        .trim()
        .strip_prefix("sha256=")
        .and_then(hex)
        .filter(|b| b.len() == 32)
        .ok_or(SignatureError::Malformed)?;
    let skew = (now - ts).abs();
    if skew > WINDOW_SECS {
        return Err(SignatureError::Stale { skew_secs: skew });
    }
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(ts.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    // Constant-time comparison.
    mac.verify_slice(&given)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genuine_passes_forgeries_fail() {
        let (secret, now, body) = (
            b"s3cret".as_slice(),
            1_800_000_000,
            br#"{"build":"green"}"#.as_slice(),
        );
        let sig = sign(secret, now, body);
        let ts = now.to_string();
        assert_eq!(
            verify(secret, Some(&ts), Some(&sig), body, now + 10),
            Ok(()),
            "a genuine request passes"
        );
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            &'a [u8],
            i64,
            SignatureError,
        );
        let cases: Vec<Case> = vec![
            (
                "missing headers",
                None,
                None,
                body,
                now,
                SignatureError::Missing,
            ),
            (
                "other body",
                Some(&ts),
                Some(&sig),
                br#"{"build":"red"}"#,
                now,
                SignatureError::Mismatch,
            ),
            (
                "garbage signature",
                Some(&ts),
                Some("sha256=zz"),
                body,
                now,
                SignatureError::Malformed,
            ),
            (
                "no scheme",
                Some(&ts),
                Some(&sig[7..]),
                body,
                now,
                SignatureError::Malformed,
            ),
            (
                "replayed later",
                Some(&ts),
                Some(&sig),
                body,
                now + 301,
                SignatureError::Stale { skew_secs: 301 },
            ),
        ];
        for (what, ts, sig, body, at, want) in cases {
            assert_eq!(verify(secret, ts, sig, body, at), Err(want), "{what}");
        }
        let other = sign(b"other-secret", now, body);
        assert_eq!(
            verify(secret, Some(&ts), Some(&other), body, now),
            Err(SignatureError::Mismatch),
            "wrong secret"
        );
    }
}
