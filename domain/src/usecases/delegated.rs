//! Delegated authorities (Automatic Sender Security) in the use cases: the
//! CNAMEs their views show, and the selectors their rotations take (see
//! [`crate::delegated_keys`]).

use crate::algorithm::KeyAlgorithm;
use crate::audit::Action;
use crate::delegated_keys::{next_selector, Delegation};
use crate::delegation::ZoneLabel;
use crate::error::Result;
use crate::key::{DeleteRule, DkimKey};
use crate::names::{DomainName, Selector};
use crate::origin::Origin;
use crate::rotation::RotationPolicy;
use crate::tenant::TenantId;

use super::Signet;

impl Signet {
    /// The label of `authority` when it is a delegated domain of the tenant.
    pub(super) async fn delegated_label(
        &self,
        tenant: TenantId,
        authority: &DomainName,
    ) -> Result<Option<ZoneLabel>> {
        let domain = self.ports.domains.get_domain(tenant, authority).await?;
        Ok(domain.and_then(|d| d.zone_label))
    }

    /// The CNAMEs `authority`'s tenant publishes, when it is delegated and
    /// Signet serves a zone (without one, its records show as TXT: nothing
    /// answers at a CNAME's target).
    pub(super) async fn delegation(
        &self,
        tenant: TenantId,
        authority: &DomainName,
    ) -> Result<Option<Delegation>> {
        let Some(zone) = self.settings.dns_zone.as_ref() else {
            return Ok(None);
        };
        let Some(label) = self.delegated_label(tenant, authority).await? else {
            return Ok(None);
        };
        let policy = self.policy(tenant, authority).await?;
        let keys = self.authority_keys(tenant, authority).await?;
        Ok(Some(Delegation::of(
            zone,
            authority,
            &label,
            &policy.algorithms,
            &keys,
        )))
    }

    /// The selector of each algorithm's next key in a delegated authority:
    /// the idle one of its pair. All are chosen before anything changes, so
    /// a refusal (a retiring key still there) leaves every key as it was;
    /// then the retired keys holding them are deleted, by the rotation.
    pub(super) async fn delegated_selectors(
        &self,
        tenant: TenantId,
        keys: &[DkimKey],
        policy: &RotationPolicy,
    ) -> Result<Vec<(KeyAlgorithm, Selector)>> {
        let next = policy
            .algorithms
            .iter()
            .map(|algorithm| {
                Ok((
                    algorithm,
                    next_selector(keys, algorithm, policy.retire_after)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut chosen = Vec::new();
        for (algorithm, next) in next {
            if let Some(id) = next.reclaim {
                let note = self.note(&Origin::rotation(), Action::KeyDeleted);
                let rule = DeleteRule::OnlyIn(crate::algorithm::KeyStage::Retired);
                self.ports.keys.delete_key(tenant, id, rule, &note).await?;
            }
            chosen.push((algorithm, next.selector));
        }
        Ok(chosen)
    }
}
