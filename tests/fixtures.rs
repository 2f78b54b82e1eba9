//! RSA keys made once per run and shared by every test, so only a few tests
//! pay for RSA generation; and the GreenArrow page's toy keys.

use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use rsa::RsaPrivateKey;

/// The toy key of the page's "Get Details" and "Update" examples (below 512 bits).
pub const TOY_KEY_1: &str = "-----BEGIN RSA PRIVATE KEY-----\nMC0CAQACBQCoJLcxAgMBAAECBBur+skCAwDfNwIDAMDXAgMAhSECAkWhAgMAyzU=\n-----END RSA PRIVATE KEY-----";
/// The toy key of the page's "Create" example (below 512 bits).
pub const TOY_KEY_2: &str = "-----BEGIN RSA PRIVATE KEY-----\nMCwCAQACBQCpGuTBAgMBAAECBCt6no0CAwDd5wIDAMMXAgIotwICDVkCAwCGMg==\n-----END RSA PRIVATE KEY-----";

/// One RSA key in the forms the tests send and expect back.
#[derive(Debug)]
pub struct Pem {
    /// `BEGIN RSA PRIVATE KEY`.
    pub pkcs1: String,
    /// `BEGIN PRIVATE KEY`.
    pub pkcs8: String,
    /// `BEGIN PUBLIC KEY`: not a private key.
    pub public_pem: String,
    /// Base64 DER SubjectPublicKeyInfo: GreenArrow's `key.public`.
    pub public: String,
    /// The record value Signet must publish for it, `k=rsa; p=...`.
    pub record: String,
}

impl Pem {
    fn generate(bits: usize) -> Self {
        let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, bits).expect("RSA generation");
        let public_key = key.to_public_key();
        let der = public_key.to_public_key_der().expect("SPKI");
        let public = STANDARD.encode(der.as_bytes());
        Self {
            pkcs1: key
                .to_pkcs1_pem(LineEnding::LF)
                .expect("PKCS#1")
                .to_string(),
            pkcs8: key
                .to_pkcs8_pem(LineEnding::LF)
                .expect("PKCS#8")
                .to_string(),
            public_pem: public_key
                .to_public_key_pem(LineEnding::LF)
                .expect("SPKI PEM"),
            record: format!("k=rsa; p={public}"),
            public,
        }
    }
}

/// Three distinct 1024-bit keys.
pub async fn keys() -> &'static [Pem; 3] {
    static KEYS: OnceLock<[Pem; 3]> = OnceLock::new();
    blocking(|| KEYS.get_or_init(|| std::array::from_fn(|_| Pem::generate(1024)))).await
}

/// A 512-bit key: below the default `min_rsa_bits`, and GreenArrow's smallest.
pub async fn small_key() -> &'static Pem {
    static KEY: OnceLock<Pem> = OnceLock::new();
    blocking(|| KEY.get_or_init(|| Pem::generate(512))).await
}

/// Runs `f` on a blocking thread.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("key generation does not panic")
}
