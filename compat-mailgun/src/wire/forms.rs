//! The parameters of each request, parsed from [`Params`] into the core's
//! types. Their schemas document the request bodies and query strings.

use signet_domain::{DomainName, KeyAlgorithm, KeySize, KeySpec, PrivateKey, Selector};
use utoipa::{IntoParams, ToSchema};

use super::schemas;
use crate::error::MailgunError;
use crate::extract::Params;
use crate::paging::Cursor;

/// Page size of key lists when none is asked for.
pub const DEFAULT_KEY_LIMIT: u64 = 10;
/// Largest page of keys.
pub const MAX_KEY_LIMIT: u64 = 100;
/// Page size of domain lists when none is asked for.
pub const DEFAULT_DOMAIN_LIMIT: u64 = 100;
/// Largest page of domains.
pub const MAX_DOMAIN_LIMIT: u64 = 1000;
/// Largest number of domains to skip: what every client's integers hold.
pub const MAX_DOMAIN_SKIP: u64 = i32::MAX.unsigned_abs() as u64;

fn domain(params: &Params, field: &'static str) -> Result<Option<DomainName>, MailgunError> {
    params
        .text(field)?
        .map(|s| DomainName::parse(&s).map_err(|e| MailgunError::invalid(field, e)))
        .transpose()
}

fn selector(params: &Params, field: &'static str) -> Result<Option<Selector>, MailgunError> {
    params
        .text(field)?
        .map(|s| Selector::parse(&s).map_err(|e| MailgunError::invalid(field, e)))
        .transpose()
}

/// 1024 or 2048: the sizes Mailgun makes.
fn mailgun_size(params: &Params, field: &'static str) -> Result<Option<KeySize>, MailgunError> {
    let Some(bits) = params.integer(field)? else {
        return Ok(None);
    };
    match bits {
        1024 | 2048 => Ok(Some(
            KeySize::try_from(bits).map_err(|e| MailgunError::invalid(field, e))?,
        )),
        _ => Err(MailgunError::invalid(field, "must be 1024 or 2048")),
    }
}

/// A page size: empty or 0 means `default`; more than `max` is refused, as
/// the document declares.
fn limit(params: &Params, default: u64, max: u64) -> Result<u64, MailgunError> {
    match params.integer("limit")? {
        None | Some(0) => Ok(default),
        Some(n) => bounded("limit", n, max),
    }
}

/// A count from 0 to `max`, as the document bounds it.
fn bounded(field: &str, n: i64, max: u64) -> Result<u64, MailgunError> {
    let n = u64::try_from(n).map_err(|_| MailgunError::invalid(field, "must not be negative"))?;
    if n > max {
        return Err(MailgunError::invalid(
            field,
            format!("must be at most {max}"),
        ));
    }
    Ok(n)
}

/// Parameters of `GET /v1/dkim/keys`, in the query string or the body.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListKeysQuery {
    /// Opaque paging token, taken from the `paging` URLs of a previous answer;
    /// empty or absent for the first page.
    #[param(value_type = Option<String>)]
    pub page: Option<Cursor>,
    /// Keys per page: 10 when absent or 0; at most 100.
    #[param(value_type = Option<schemas::KeyLimit>, inline)]
    pub limit: u64,
    /// Only keys of this signing domain.
    #[param(value_type = Option<schemas::OptionalDomainNameText>, inline)]
    pub signing_domain: Option<DomainName>,
    /// Only keys with this selector (case-insensitive).
    #[param(value_type = Option<schemas::OptionalSelectorText>, inline)]
    pub selector: Option<Selector>,
}

impl TryFrom<&Params> for ListKeysQuery {
    type Error = MailgunError;

    fn try_from(params: &Params) -> Result<Self, MailgunError> {
        Ok(Self {
            page: params
                .text("page")?
                .as_deref()
                .map(Cursor::decode)
                .transpose()?,
            limit: limit(params, DEFAULT_KEY_LIMIT, MAX_KEY_LIMIT)?,
            signing_domain: domain(params, "signing_domain")?,
            selector: selector(params, "selector")?,
        })
    }
}

/// Parameters of `POST /v1/dkim/keys`.
#[derive(Debug, ToSchema)]
pub struct CreateKeyForm {
    /// Signing domain to be used for the new domain key.
    #[schema(value_type = schemas::DomainNameText, inline)]
    pub signing_domain: DomainName,
    /// Selector to be used for the new domain key.
    #[schema(value_type = schemas::SelectorText, inline)]
    pub selector: Selector,
    /// Key size of an RSA key, 1024 or 2048. Mailgun documents no default;
    /// Signet makes 2048-bit keys when it is omitted, the size today's large
    /// receivers expect. Ignored when `pem` is given; refused with
    /// `algorithm=ed25519`. A size below the account's `min_rsa_bits` (1024
    /// unless raised to 2048) is refused.
    #[schema(value_type = schemas::KeyBits, inline, required = false)]
    pub bits: Option<KeySize>,
    /// Signet extension: `rsa` (the default) or `ed25519` (RFC 8463; its
    /// record is `k=ed25519; p=` and the 44-character base64 public key).
    /// With `pem`, it must name the imported key's algorithm.
    #[schema(value_type = schemas::KeyAlgorithmText, inline, required = false)]
    pub algorithm: Option<KeyAlgorithm>,
    /// A private key to import instead of generating one, as a form field
    /// or a file part: an RSA key of 1024 or 2048 bits and at least the
    /// account's `min_rsa_bits` in PEM, PKCS #1 (`BEGIN RSA PRIVATE KEY`) or
    /// PKCS #8 (`BEGIN PRIVATE KEY`); or (Signet extension) an Ed25519 key in
    /// PKCS #8 PEM, as `openssl genpkey -algorithm ed25519` writes it, or its
    /// 32-byte seed in base64. It is never returned.
    #[schema(value_type = String, required = false)]
    pub pem: Option<PrivateKey>,
}

impl CreateKeyForm {
    /// What to generate when no key is imported: an RSA key of `bits`
    /// (2048 by default) or an Ed25519 key.
    pub fn spec(&self) -> KeySpec {
        match self.algorithm {
            Some(KeyAlgorithm::Ed25519) => KeySpec::Ed25519,
            _ => KeySpec::Rsa(self.bits.unwrap_or(KeySize::DEFAULT)),
        }
    }
}

impl TryFrom<&Params> for CreateKeyForm {
    type Error = MailgunError;

    fn try_from(params: &Params) -> Result<Self, MailgunError> {
        let signing_domain = domain(params, "signing_domain")?;
        let selector = selector(params, "selector")?;
        let bits = mailgun_size(params, "bits")?;
        let algorithm = params
            .text("algorithm")?
            .map(|a| a.parse().map_err(|e| MailgunError::invalid("algorithm", e)))
            .transpose()?;
        let pem = match params.bytes("pem") {
            Some(pem) if !pem.iter().all(u8::is_ascii_whitespace) => Some(import(pem)?),
            _ => None,
        };
        match (algorithm, &pem) {
            (Some(algorithm), Some(key)) if key.algorithm() != algorithm => {
                return Err(MailgunError::invalid(
                    "algorithm",
                    format!("must be {} to import this key", key.algorithm()),
                ))
            }
            (Some(KeyAlgorithm::Ed25519), None) if bits.is_some() => {
                return Err(MailgunError::invalid(
                    "bits",
                    "applies to rsa keys only; leave it out with algorithm ed25519",
                ))
            }
            _ => {}
        }
        Ok(Self {
            signing_domain: signing_domain
                .ok_or_else(|| MailgunError::missing("signing_domain"))?,
            selector: selector.ok_or_else(|| MailgunError::missing("selector"))?,
            bits,
            algorithm,
            pem,
        })
    }
}

fn import(pem: &[u8]) -> Result<PrivateKey, MailgunError> {
    let key = std::str::from_utf8(pem)
        .ok()
        .and_then(|pem| PrivateKey::import(pem).ok())
        .ok_or_else(MailgunError::bad_pem)?;
    match key.spec() {
        KeySpec::Ed25519 => Ok(key),
        KeySpec::Rsa(size) if matches!(size.bits(), 1024 | 2048) => Ok(key),
        KeySpec::Rsa(size) => Err(MailgunError::bad_request(format!(
            "failed to import domain key: the key has {size} bits; it must have 1024 or 2048"
        ))),
    }
}

/// Parameters of `GET /v1/dkim/zone`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ZoneQuery {
    /// The signing domain whose records to list.
    #[param(value_type = schemas::DomainNameText, inline)]
    pub domain: DomainName,
}

impl TryFrom<&Params> for ZoneQuery {
    type Error = MailgunError;

    fn try_from(params: &Params) -> Result<Self, MailgunError> {
        let domain = domain(params, "domain")?;
        Ok(Self {
            domain: domain.ok_or_else(|| MailgunError::missing("domain"))?,
        })
    }
}

/// Parameters of `DELETE /v1/dkim/keys`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteKeyQuery {
    /// Signing domain.
    #[param(value_type = schemas::DomainNameText, inline)]
    pub signing_domain: DomainName,
    /// Selector.
    #[param(value_type = schemas::SelectorText, inline)]
    pub selector: Selector,
}

impl TryFrom<&Params> for DeleteKeyQuery {
    type Error = MailgunError;

    fn try_from(params: &Params) -> Result<Self, MailgunError> {
        let signing_domain = domain(params, "signing_domain")?;
        let selector = selector(params, "selector")?;
        Ok(Self {
            signing_domain: signing_domain
                .ok_or_else(|| MailgunError::missing("signing_domain"))?,
            selector: selector.ok_or_else(|| MailgunError::missing("selector"))?,
        })
    }
}

/// Parameters of `POST /v4/domains`. Mailgun's other fields (SMTP, tracking,
/// IPs) are accepted and ignored.
#[derive(Debug, ToSchema)]
pub struct CreateDomainForm {
    /// The name of the new domain.
    #[schema(value_type = schemas::DomainNameText, inline)]
    pub name: DomainName,
    /// The size of the new domain's DKIM key: 1024 or 2048, and at least the
    /// account's `min_rsa_bits`; 2048 when omitted.
    #[schema(value_type = schemas::KeyBits, inline, required = false)]
    pub dkim_key_size: Option<KeySize>,
    /// The selector of the domain's DKIM key: an atom (no dots); `mx` when omitted.
    #[schema(value_type = schemas::OptionalAtomSelectorText, inline, required = false)]
    pub dkim_selector: Option<Selector>,
    /// If true, the domain is its own DKIM authority even when its root domain
    /// is registered on the same account; if false (the default), a registered
    /// root domain is its authority.
    #[schema(value_type = schemas::OptionalFlag, inline, required = false)]
    pub force_dkim_authority: bool,
    /// Enable Automatic Sender Security: the domain's DKIM records are
    /// CNAMEs into the DNS zone Signet answers for, published once, so key
    /// rotations need no DNS change. The domain is its own DKIM authority
    /// and its keys take the selectors `pdk1` and `pdk2` in turn, so
    /// `dkim_selector` cannot be set with it. Refused with 400 when Signet
    /// serves no DNS zone (`SIGNET_DNS_ZONE`). Defaults to false.
    #[schema(value_type = schemas::OptionalFlag, inline, required = false)]
    pub use_automatic_sender_security: bool,
}

impl TryFrom<&Params> for CreateDomainForm {
    type Error = MailgunError;

    fn try_from(params: &Params) -> Result<Self, MailgunError> {
        let name = domain(params, "name")?.ok_or_else(|| MailgunError::missing("name"))?;
        let dkim_selector = selector(params, "dkim_selector")?;
        if dkim_selector
            .as_ref()
            .is_some_and(|s| s.as_str().contains('.'))
        {
            return Err(MailgunError::invalid(
                "dkim_selector",
                "must be a valid atom per RFC 2822, without dots",
            ));
        }
        let use_automatic_sender_security = params
            .boolean("use_automatic_sender_security")?
            .unwrap_or(false);
        if use_automatic_sender_security && dkim_selector.is_some() {
            return Err(MailgunError::bad_request(
                "dkim_selector cannot be set with use_automatic_sender_security: its selectors are pdk1 and pdk2",
            ));
        }
        Ok(Self {
            name,
            dkim_key_size: mailgun_size(params, "dkim_key_size")?,
            dkim_selector,
            force_dkim_authority: params.boolean("force_dkim_authority")?.unwrap_or(false),
            use_automatic_sender_security,
        })
    }
}

/// Parameters of `GET /v4/domains`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListDomainsQuery {
    /// Domains per page: 100 when absent or 0; at most 1000.
    #[param(value_type = Option<schemas::DomainLimit>, inline)]
    pub limit: u64,
    /// How many domains to skip.
    #[param(value_type = Option<schemas::DomainSkip>, inline)]
    pub skip: u64,
    /// Only domains in this state: `active` or `unverified` (Signet never disables a domain).
    #[param(value_type = Option<schemas::DomainState>, inline)]
    pub state: Option<String>,
    /// `name` or `name:asc`, `name:desc`; newest first when absent.
    #[param(value_type = Option<schemas::DomainSort>, inline)]
    pub sort: Option<String>,
    /// Only domains with this DKIM authority.
    #[param(value_type = Option<schemas::OptionalDomainNameText>, inline)]
    pub authority: Option<DomainName>,
    /// Only domains whose name contains this text.
    pub search: Option<String>,
}

impl TryFrom<&Params> for ListDomainsQuery {
    type Error = MailgunError;

    fn try_from(params: &Params) -> Result<Self, MailgunError> {
        let state = params.text("state")?.map(|s| s.to_ascii_lowercase());
        if let Some(s) = &state {
            if !["active", "unverified", "disabled"].contains(&s.as_str()) {
                return Err(MailgunError::invalid(
                    "state",
                    "must be active, unverified or disabled",
                ));
            }
        }
        let sort = params.text("sort")?.map(|s| s.to_ascii_lowercase());
        if let Some(s) = &sort {
            if !["name", "name:asc", "name:desc"].contains(&s.as_str()) {
                return Err(MailgunError::invalid(
                    "sort",
                    "must be name, name:asc or name:desc",
                ));
            }
        }
        let skip = params.integer("skip")?.unwrap_or(0);
        let skip = bounded("skip", skip, MAX_DOMAIN_SKIP)?;
        Ok(Self {
            limit: limit(params, DEFAULT_DOMAIN_LIMIT, MAX_DOMAIN_LIMIT)?,
            skip,
            state,
            sort,
            authority: domain(params, "authority")?,
            search: params.text("search")?.map(|s| s.to_ascii_lowercase()),
        })
    }
}

/// Parameters of `PUT /v3/domains/{name}/dkim_authority`.
#[derive(Debug, ToSchema)]
pub struct DkimAuthorityForm {
    /// If true, the domain is the DKIM authority for itself even if its root
    /// domain is registered on the same account. If false, the domain gets the
    /// DKIM authority of the root domain registered on the same account.
    #[schema(rename = "self", value_type = schemas::Flag, inline)]
    pub own: bool,
}

impl TryFrom<&Params> for DkimAuthorityForm {
    type Error = MailgunError;

    fn try_from(params: &Params) -> Result<Self, MailgunError> {
        Ok(Self {
            own: params
                .boolean("self")?
                .ok_or_else(|| MailgunError::missing("self"))?,
        })
    }
}

/// Parameters of `PUT /v3/domains/{name}/dkim_selector`.
#[derive(Debug, ToSchema)]
pub struct DkimSelectorForm {
    /// The new selector of the domain's DKIM key. Required: Mailgun's page
    /// says an omitted selector commits no change, but a 200 that changes
    /// nothing hides a client's mistake, so Signet answers 400.
    #[schema(value_type = schemas::SelectorText, inline)]
    pub dkim_selector: Selector,
}

impl TryFrom<&Params> for DkimSelectorForm {
    type Error = MailgunError;

    fn try_from(params: &Params) -> Result<Self, MailgunError> {
        Ok(Self {
            dkim_selector: selector(params, "dkim_selector")?
                .ok_or_else(|| MailgunError::missing("dkim_selector"))?,
        })
    }
}
