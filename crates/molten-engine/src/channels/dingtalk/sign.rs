//! DingTalk's robot signatures: `base64(HMAC-SHA256(key = secret,
//! msg = timestamp + "\n" + secret))`. The HTTP-mode robot signs each push
//! with the app secret (headers `timestamp` and `sign`); a custom group robot
//! expects the same value, URL-encoded, with `timestamp` in its webhook URL.
//! Both accept a timestamp within one hour of now.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;

/// How far a signed timestamp may be from now.
pub const WINDOW_MS: i64 = 60 * 60 * 1000;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SignError {
    #[error("the timestamp `{0}` is not epoch milliseconds")]
    BadTimestamp(String),
    #[error("the timestamp is more than an hour from now; check the clock")]
    OutsideWindow,
    #[error("the signature does not match; check the secret")]
    Mismatch,
}

/// The signature for `timestamp_ms` under `secret`, base64 (not URL-encoded).
pub fn sign(secret: &str, timestamp_ms: i64) -> String {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => return String::new(),
    };
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks an HTTP-mode push's `timestamp` and `sign` headers.
pub fn verify(
    secret: &str,
    timestamp: &str,
    signature: &str,
    now_ms: i64,
) -> Result<(), SignError> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignError::BadTimestamp(timestamp.to_string()))?;
    if (now_ms - ts).abs() > WINDOW_MS {
        return Err(SignError::OutsideWindow);
    }
    let expected = sign(secret, ts);
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(b"compare").map_err(|_| SignError::Mismatch)?;
    mac.update(expected.as_bytes());
    // Constant-time comparison through the MAC's verifier.
    let mut check =
        <Hmac<Sha256> as Mac>::new_from_slice(b"compare").map_err(|_| SignError::Mismatch)?;
    check.update(signature.trim().as_bytes());
    mac.verify(&check.finalize().into_bytes())
        .map_err(|_| SignError::Mismatch)
}

/// A custom group robot's webhook URL (with its `access_token`) signed for
/// `now_ms`: `timestamp` and the URL-encoded `sign` appended.
pub fn signed_custom_robot_url(
    webhook: &str,
    secret: &str,
    now_ms: i64,
) -> Result<String, SignError> {
    let mut url = reqwest::Url::parse(webhook).map_err(|_| SignError::Mismatch)?;
    url.query_pairs_mut()
        .append_pair("timestamp", &now_ms.to_string())
        .append_pair("sign", &sign(secret, now_ms));
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_an_independent_computation() {
        // Computed with Python's hmac/base64 for the same inputs.
        assert_eq!(
            sign("SECabc123", 1_690_000_000_000),
            "tzfcu4Cqudj1UzLvzA9R3DmZ7EJ2TKlDSxEt2WhGedQ=",
            "the documented construction"
        );
    }

    #[test]
    fn verify_checks_window_and_signature() {
        let now = 1_690_000_000_000;
        let s = sign("app-secret", now);
        assert_eq!(
            verify("app-secret", &now.to_string(), &s, now + 1000),
            Ok(()),
            "a fresh signature passes"
        );
        assert_eq!(
            verify("other", &now.to_string(), &s, now),
            Err(SignError::Mismatch),
            "another secret fails"
        );
        assert_eq!(
            verify("app-secret", &now.to_string(), &s, now + WINDOW_MS + 1),
            Err(SignError::OutsideWindow),
            "an old timestamp fails"
        );
        assert!(
            matches!(
                verify("app-secret", "soon", &s, now),
                Err(SignError::BadTimestamp(_))
            ),
            "a bad timestamp fails"
        );
    }

    #[test]
    fn custom_robot_url_is_url_encoded() {
        let url = signed_custom_robot_url(
            "https://oapi.dingtalk.com/robot/send?access_token=XXX",
            "SECabc123",
            1_690_000_000_000,
        )
        .expect("url");
        assert!(
            url.ends_with(
                "&timestamp=1690000000000&sign=tzfcu4Cqudj1UzLvzA9R3DmZ7EJ2TKlDSxEt2WhGedQ%3D"
            ),
            "{url}"
        );
    }
}
