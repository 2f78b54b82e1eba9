//! TSIG keys as the tests hand them to DNS software and to Signet.

use base64::Engine as _;

/// The one algorithm the harnesses configure.
pub const ALGORITHM: &str = "hmac-sha256";

/// An HMAC-SHA256 TSIG key: a name and a secret shared by both ends.
#[derive(Clone)]
pub struct TsigKey {
    name: String,
    secret: String,
}

impl TsigKey {
    /// A key named `name` with a fresh random 256-bit secret.
    pub fn generate(name: &str) -> Self {
        let secret: [u8; 32] = rand::random();
        Self::with_secret(
            name,
            &base64::engine::general_purpose::STANDARD.encode(secret),
        )
    }

    /// A key named `name` with the base64 `secret` given: the same name with
    /// another secret is how a test signs with the wrong key.
    pub fn with_secret(name: &str, secret: &str) -> Self {
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'),
            "a key name the configuration files need no quoting for"
        );
        Self {
            name: name.to_owned(),
            secret: secret.to_owned(),
        }
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The base64 secret.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// `NAME:hmac-sha256:BASE64SECRET`, the form Signet's settings and CLI
    /// take (`SIGNET_DNS_TSIG_KEY`, `--tsig-key`).
    pub fn spec(&self) -> String {
        format!("{}:{ALGORITHM}:{}", self.name, self.secret)
    }

    /// `hmac-sha256:NAME:BASE64SECRET`, the form of `dig -y` and `nsupdate -y`.
    pub fn dig_arg(&self) -> String {
        format!("{ALGORITHM}:{}:{}", self.name, self.secret)
    }
}

impl std::fmt::Debug for TsigKey {
    /// The name only: a failing test's output never shows the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TsigKey").field("name", &self.name).finish()
    }
}
