//! The console's external identity provider.

use std::time::Duration;

use signet_console::ConsoleIdp;

/// Shortest time between two fetches of the console IdP's keys caused by
/// tokens naming unknown key ids.
pub const DEFAULT_CONSOLE_JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(10);

/// The console's external identity provider, as configured (all three
/// values or none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSettings {
    /// `SIGNET_CONSOLE_JWKS_URL`: the IdP's key set.
    pub jwks_url: Option<String>,
    /// `SIGNET_CONSOLE_JWT_ISSUER`: the `iss` its tokens carry.
    pub jwt_issuer: Option<String>,
    /// `SIGNET_CONSOLE_JWT_AUDIENCE`: the `aud` its tokens must name.
    pub jwt_audience: Option<String>,
    /// Shortest time between refetches of the key set for unknown key ids
    /// (10 s; tests shorten it).
    pub jwks_refetch_interval: Duration,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            jwks_url: None,
            jwt_issuer: None,
            jwt_audience: None,
            jwks_refetch_interval: DEFAULT_CONSOLE_JWKS_REFETCH_INTERVAL,
        }
    }
}

impl ConsoleSettings {
    /// The external IdP, if one is configured; an error if it is
    /// configured only in part.
    pub fn idp(&self) -> anyhow::Result<Option<ConsoleIdp>> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        match (
            given(&self.jwks_url),
            given(&self.jwt_issuer),
            given(&self.jwt_audience),
        ) {
            (None, None, None) => Ok(None),
            (Some(url), Some(issuer), Some(audience)) => Ok(Some(ConsoleIdp {
                jwks_url: url.to_owned(),
                issuer: issuer.to_owned(),
                audience: audience.to_owned(),
            })),
            (None, _, _) => anyhow::bail!(
                "refusing to start: SIGNET_CONSOLE_JWT_ISSUER and SIGNET_CONSOLE_JWT_AUDIENCE \
                 need SIGNET_CONSOLE_JWKS_URL, the identity provider's key set"
            ),
            (Some(_), _, _) => anyhow::bail!(
                "refusing to start: SIGNET_CONSOLE_JWKS_URL needs both \
                 SIGNET_CONSOLE_JWT_ISSUER and SIGNET_CONSOLE_JWT_AUDIENCE, the `iss` and \
                 `aud` the identity provider's tokens carry"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_console_idp_needs_its_url_issuer_and_audience_together() {
        let console = |url: Option<&str>, iss: Option<&str>, aud: Option<&str>| ConsoleSettings {
            jwks_url: url.map(Into::into),
            jwt_issuer: iss.map(Into::into),
            jwt_audience: aud.map(Into::into),
            ..ConsoleSettings::default()
        };
        assert_eq!(console(None, None, None).idp().unwrap(), None);
        let idp = console(Some("https://idp/jwks"), Some("i"), Some("a"))
            .idp()
            .unwrap()
            .unwrap();
        assert_eq!(idp.audience, "a");
        let e = console(Some("https://idp/jwks"), Some("i"), None)
            .idp()
            .unwrap_err();
        assert!(e.to_string().contains("SIGNET_CONSOLE_JWT_AUDIENCE"), "{e}");
        assert!(console(None, Some("i"), Some("a")).idp().is_err());
    }
}
