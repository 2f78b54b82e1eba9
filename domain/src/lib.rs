//! Signet's core: DKIM keys, sending domains and tenants, the use cases over
//! them, and the ports their adapters implement. Names no framework.

pub mod algorithm;
pub mod audit;
pub mod auth_cache;
pub mod crypto;
pub mod cursor;
pub mod delegated_keys;
pub mod delegation;
pub mod dns;
pub mod dns_cache;
pub mod duration;
pub mod error;
pub mod excerpt;
pub mod feed_changes;
pub mod fleet;
pub mod issued_secret;
pub mod key;
pub mod key_cache;
pub mod key_size;
pub mod names;
pub mod origin;
pub mod ports;
pub mod publisher;
pub mod rotation;
pub mod sending_domain;
pub mod shared_state;
pub mod tenant;
pub mod tsig;
pub mod usecases;

pub use algorithm::{KeyAlgorithm, KeyStage};
pub use audit::{
    Action, AuditCursor, AuditEvent, AuditId, AuditNote, AuditPage, AuditQuery, AuditRecord,
    AuditTarget, Outcome,
};
pub use crypto::{PrivateKey, PublicKey};
pub use dns::{DnsCheck, DnsStatus, TxtAnswer};
pub use error::{Cause, Chain, Entity, Error, InvalidValue, Result, RuleViolation};
pub use fleet::{
    FeedKey, Fleet, FleetAccess, FleetDomains, FleetFeed, FleetId, FleetName, FleetToken,
    FleetTokenHash,
};
pub use key::{DeleteRule, DkimKey, DnsRecord, KeyFilter, KeyId, KeyPage, KeyQuery, PageStart};
pub use key_size::{KeySize, KeySpec};
pub use names::{DomainName, Selector};
pub use origin::{Actor, Origin, Via};
pub use publisher::{
    PublishOutcome, PublishStatus, Publisher, PublisherConfig, TxtRecord, UpdateFailure, ZoneUpdate,
};
pub use rotation::{AlgorithmSet, RotationPolicy, SelectorTemplate, Span};
pub use sending_domain::{DomainOrder, DomainPage, DomainQuery, DomainView, SendingDomain};
pub use tenant::{
    ApiKeyId, ApiKeyLabel, Authentication, MinRsaBits, Tenant, TenantId, TenantName, TenantSettings,
};
pub use usecases::{
    Admin, AuthorityChange, CoreSettings, CreateKey, DefaultFlag, KeyMaterial, KeyUpdate, Ports,
    PublishReport, PublishRound, RecheckReport, RecheckRound, RegisterDomain, RotationReport,
    RotationRound, RotationUpdate, RotationView, Signet,
};
