//! Where a change comes from: who made it, through which front end, and for
//! HTTP the request's id and the caller's address. Audit events record it;
//! keys remember the front end that made them.

use std::fmt;
use std::net::IpAddr;

use crate::error::InvalidValue;
use crate::tenant::ApiKeyId;

/// The front end a change came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Via {
    /// The Mailgun dialect.
    Mailgun,
    /// The GreenArrow dialect.
    GreenArrow,
    /// The web console's API.
    Console,
    /// The `signet` command line.
    Cli,
    /// The background DNS re-check.
    Recheck,
    /// Background rotation.
    Rotation,
    /// A fleet's key feed.
    Fleet,
    /// The background DNS publisher (RFC 2136 updates).
    Publisher,
}

impl Via {
    /// The name stored and shown: `mailgun`, `greenarrow`, `console`, `cli`,
    /// `recheck`, `rotation`, `fleet`, `publisher`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mailgun => "mailgun",
            Self::GreenArrow => "greenarrow",
            Self::Console => "console",
            Self::Cli => "cli",
            Self::Recheck => "recheck",
            Self::Rotation => "rotation",
            Self::Fleet => "fleet",
            Self::Publisher => "publisher",
        }
    }

    /// The front end named by [`Via::as_str`].
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        Ok(match s {
            "mailgun" => Self::Mailgun,
            "greenarrow" => Self::GreenArrow,
            "console" => Self::Console,
            "cli" => Self::Cli,
            "recheck" => Self::Recheck,
            "rotation" => Self::Rotation,
            "fleet" => Self::Fleet,
            "publisher" => Self::Publisher,
            _ => return Err(InvalidValue(format!("{s:?} names no front end"))),
        })
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A dialect caller, by its API key's id (never the key).
    ApiKey(ApiKeyId),
    /// A console user, by the `sub` of their token.
    Console {
        /// The token's subject.
        subject: String,
    },
    /// An operator at the command line.
    Cli,
    /// Signet itself (the background re-check, rotation and DNS publisher).
    System,
    /// A fleet reading its feed, by the fleet's name (never its token).
    Fleet {
        /// The fleet's name.
        name: String,
    },
}

impl Actor {
    /// `api_key`, `console`, `cli`, `system` or `fleet`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ApiKey(_) => "api_key",
            Self::Console { .. } => "console",
            Self::Cli => "cli",
            Self::System => "system",
            Self::Fleet { .. } => "fleet",
        }
    }

    /// The API key's id, the console subject or the fleet's name; `None`
    /// for the CLI and Signet.
    pub fn id(&self) -> Option<String> {
        match self {
            Self::ApiKey(id) => Some(id.to_string()),
            Self::Console { subject } => Some(subject.clone()),
            Self::Fleet { name } => Some(name.clone()),
            Self::Cli | Self::System => None,
        }
    }

    /// The actor stored as `kind` and `id`.
    pub fn parse(kind: &str, id: Option<&str>) -> Result<Self, InvalidValue> {
        let missing = || InvalidValue(format!("a {kind} actor needs an id"));
        Ok(match kind {
            "api_key" => {
                let id = id.ok_or_else(missing)?;
                let id = id
                    .parse()
                    .map_err(|_| InvalidValue(format!("{id:?} is no API key id")))?;
                Self::ApiKey(ApiKeyId(id))
            }
            "console" => Self::Console {
                subject: id.ok_or_else(missing)?.to_owned(),
            },
            "cli" => Self::Cli,
            "system" => Self::System,
            "fleet" => Self::Fleet {
                name: id.ok_or_else(missing)?.to_owned(),
            },
            _ => return Err(InvalidValue(format!("{kind:?} names no actor"))),
        })
    }
}

/// Where a change comes from: the actor, the front end, and for HTTP the
/// request's id and the caller's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Who.
    pub actor: Actor,
    /// Through which front end.
    pub via: Via,
    /// The `X-Request-Id` the server answered with, for HTTP requests.
    pub request_id: Option<String>,
    /// The peer address of the connection, for HTTP requests.
    pub ip: Option<IpAddr>,
}

impl Origin {
    /// An operator at the command line.
    pub fn cli() -> Self {
        Self {
            actor: Actor::Cli,
            via: Via::Cli,
            request_id: None,
            ip: None,
        }
    }

    /// The background DNS re-check.
    pub fn recheck() -> Self {
        Self {
            actor: Actor::System,
            via: Via::Recheck,
            request_id: None,
            ip: None,
        }
    }

    /// Background rotation.
    pub fn rotation() -> Self {
        Self {
            actor: Actor::System,
            via: Via::Rotation,
            request_id: None,
            ip: None,
        }
    }

    /// The background DNS publisher.
    pub fn publisher() -> Self {
        Self {
            actor: Actor::System,
            via: Via::Publisher,
            request_id: None,
            ip: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_front_end_reads_back_from_its_name() {
        for via in [
            Via::Mailgun,
            Via::GreenArrow,
            Via::Console,
            Via::Cli,
            Via::Recheck,
            Via::Rotation,
            Via::Fleet,
        ] {
            assert_eq!(Via::parse(via.as_str()), Ok(via));
        }
        assert!(Via::parse("smtp").is_err());
    }

    #[test]
    fn actors_read_back_from_kind_and_id() {
        for actor in [
            Actor::ApiKey(ApiKeyId(7)),
            Actor::Console {
                subject: "alice@example.com".into(),
            },
            Actor::Cli,
            Actor::System,
            Actor::Fleet {
                name: "mta-eu".into(),
            },
        ] {
            assert_eq!(Actor::parse(actor.kind(), actor.id().as_deref()), Ok(actor));
        }
        assert!(Actor::parse("api_key", None).is_err());
        assert!(Actor::parse("api_key", Some("sgn_secret")).is_err());
    }
}
