//! What a bundle encrypts: the text of `config.yaml` and `permissions.yaml`
//! (absent when the machine had none) and each secret's name and value.
//!
//! On the wire it is JSON whose contents are base64
//! (`config_yaml_b64`, `permissions_yaml_b64`, `secrets: [{name, value_b64}]`):
//! base64 needs no escapes, so the JSON writer and parser never copy a value
//! into buffers of their own. In memory the values live in `Sensitive` and
//! the JSON in a buffer zeroed on drop and on every growth.

use super::error::BundleError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use molten_core::Sensitive;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

/// The decrypted contents of a bundle.
#[derive(Debug, Default)]
pub struct BundlePayload {
    pub config_yaml: Option<Sensitive<String>>,
    pub permissions_yaml: Option<Sensitive<String>>,
    pub secrets: Vec<BundledSecret>,
}

/// One vault secret, its value in the clear (in memory only).
#[derive(Debug)]
pub struct BundledSecret {
    pub name: String,
    pub value: Sensitive<String>,
}

#[derive(Serialize)]
struct WireOut<'a> {
    config_yaml_b64: Option<&'a str>,
    permissions_yaml_b64: Option<&'a str>,
    secrets: Vec<WireSecretOut<'a>>,
}

#[derive(Serialize)]
struct WireSecretOut<'a> {
    name: &'a str,
    value_b64: &'a str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireIn<'a> {
    #[serde(borrow)]
    config_yaml_b64: Option<&'a str>,
    #[serde(borrow)]
    permissions_yaml_b64: Option<&'a str>,
    #[serde(borrow)]
    secrets: Vec<WireSecretIn<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireSecretIn<'a> {
    name: String,
    #[serde(borrow)]
    value_b64: &'a str,
}

fn encode(text: &str) -> Zeroizing<String> {
    Zeroizing::new(STANDARD.encode(text.as_bytes()))
}

fn decode(b64: &str, what: &str) -> Result<Sensitive<String>, BundleError> {
    let bad = |why: &str| BundleError::BadPayload {
        detail: format!("{what} {why}"),
    };
    let bytes = STANDARD.decode(b64).map_err(|_| bad("is not base64"))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Sensitive::new(text)),
        Err(e) => {
            e.into_bytes().zeroize();
            Err(bad("is not UTF-8 text"))
        }
    }
}

impl BundlePayload {
    /// The payload as JSON, in a buffer zeroed when dropped.
    pub fn to_json(&self) -> Result<Zeroizing<Vec<u8>>, BundleError> {
        let config = self.config_yaml.as_ref().map(|t| encode(t.expose()));
        let permissions = self.permissions_yaml.as_ref().map(|t| encode(t.expose()));
        let values: Vec<Zeroizing<String>> = self
            .secrets
            .iter()
            // Exposed to be sealed into the bundle, nowhere else.
            .map(|s| encode(s.value.expose()))
            .collect();
        let wire = WireOut {
            config_yaml_b64: config.as_deref().map(String::as_str),
            permissions_yaml_b64: permissions.as_deref().map(String::as_str),
            secrets: self
                .secrets
                .iter()
                .zip(&values)
                .map(|(s, v)| WireSecretOut {
                    name: &s.name,
                    value_b64: v.as_str(),
                })
                .collect(),
        };
        let mut out = ZeroizingWriter::default();
        serde_json::to_writer(&mut out, &wire).map_err(|e| BundleError::BadPayload {
            detail: e.to_string(),
        })?;
        Ok(out.into_inner())
    }

    /// Reads what [`to_json`](Self::to_json) wrote. Errors never quote values.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BundleError> {
        let wire: WireIn<'_> =
            serde_json::from_slice(bytes).map_err(|e| BundleError::BadPayload {
                // serde_json's messages name the position and the expected
                // shape, not the input's content.
                detail: e.to_string(),
            })?;
        let config_yaml = wire
            .config_yaml_b64
            .map(|b| decode(b, super::CONFIG_FILE))
            .transpose()?;
        let permissions_yaml = wire
            .permissions_yaml_b64
            .map(|b| decode(b, super::PERMISSIONS_FILE))
            .transpose()?;
        let secrets = wire
            .secrets
            .into_iter()
            .map(|s| {
                let value = decode(s.value_b64, &format!("the value of `{}`", s.name))?;
                Ok(BundledSecret {
                    name: s.name,
                    value,
                })
            })
            .collect::<Result<Vec<_>, BundleError>>()?;
        Ok(Self {
            config_yaml,
            permissions_yaml,
            secrets,
        })
    }
}

/// A `Vec` writer that zeroes its old buffer whenever it has to grow, so
/// no copy of the JSON is left behind in freed memory.
#[derive(Default)]
struct ZeroizingWriter(Zeroizing<Vec<u8>>);

impl ZeroizingWriter {
    fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
}

impl std::io::Write for ZeroizingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let needed = self.0.len() + buf.len();
        if needed > self.0.capacity() {
            let mut bigger = Vec::with_capacity(needed.max(2 * self.0.capacity()).max(1024));
            bigger.extend_from_slice(&self.0);
            // The old buffer is zeroed as it is replaced (Zeroizing's drop).
            self.0 = Zeroizing::new(bigger);
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_values_out_of_the_json_text() {
        let payload = BundlePayload {
            config_yaml: Some(Sensitive::new("language: en\n".into())),
            permissions_yaml: None,
            secrets: vec![BundledSecret {
                name: "a.b".into(),
                value: Sensitive::new("line1\n\"quoted\" ünï".into()),
            }],
        };
        let json = payload.to_json().expect("to json");
        let text = String::from_utf8_lossy(&json);
        assert!(!text.contains("quoted"), "values are base64: {text}");
        assert!(!text.contains("language"), "files are base64: {text}");
        let back = BundlePayload::from_json(&json).expect("from json");
        assert_eq!(
            back.config_yaml.as_ref().map(|t| t.expose().as_str()),
            Some("language: en\n"),
            "config text back"
        );
        assert!(back.permissions_yaml.is_none(), "absent stays absent");
        assert_eq!(back.secrets.len(), 1, "one secret");
        assert_eq!(back.secrets[0].name, "a.b", "name back");
        assert_eq!(
            back.secrets[0].value.expose(),
            "line1\n\"quoted\" ünï",
            "value back"
        );
    }

    #[test]
    fn the_writer_keeps_everything_across_growth() {
        use std::io::Write as _;
        let mut w = ZeroizingWriter::default();
        for i in 0..5000u32 {
            w.write_all(&i.to_be_bytes()).expect("write");
        }
        let out = w.into_inner();
        assert_eq!(out.len(), 20_000, "every byte kept");
        assert_eq!(&out[out.len() - 4..], &4999u32.to_be_bytes(), "in order");
    }

    #[test]
    fn malformed_payloads_are_refused_without_quoting_values() {
        let e = BundlePayload::from_json(br#"{"config_yaml_b64":null,"permissions_yaml_b64":null,"secrets":[{"name":"x","value_b64":"!!not-b64-SECRET"}]}"#)
            .expect_err("bad base64");
        assert_eq!(e.code(), "bundle_bad_payload", "{e}");
        assert!(!e.to_string().contains("SECRET"), "no value in {e}");
    }
}
