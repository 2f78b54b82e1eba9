//! Reading the audit trail.

use crate::audit::{AuditPage, AuditQuery};
use crate::error::Result;
use crate::tenant::Tenant;

use super::Signet;

impl Signet {
    /// One page of the tenant's audit events, newest first.
    pub async fn audit_events(&self, tenant: &Tenant, query: &AuditQuery) -> Result<AuditPage> {
        let limit = query.limit.clamp(1, AuditQuery::MAX_LIMIT);
        // One more than the page, to know whether an older page exists.
        let events = self
            .ports
            .audit
            .audit_events(
                tenant.id,
                query.action.as_deref(),
                query.cursor.map(|c| c.before()),
                limit + 1,
            )
            .await?;
        Ok(AuditPage::from_overfetch(events, limit))
    }
}
