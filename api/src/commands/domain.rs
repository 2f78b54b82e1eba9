//! `signet domain`: a domain's DNS publisher, set over the database.

use std::sync::Arc;

use anyhow::{anyhow, Context as _};
use signet_domain::tsig::TsigKey;
use signet_domain::{DomainName, Origin, PublisherConfig};
use signet_storage::shared::{LocalLeases, LocalTenantChanges};

use super::find;
use crate::dns::NoLookups;
use crate::settings::cli::DomainCommand;
use crate::settings::Settings;
use crate::startup::compose;

/// Runs a `domain` command.
pub async fn run(command: DomainCommand, settings: &Settings) -> anyhow::Result<()> {
    let DomainCommand::PublishTo {
        name,
        tenant,
        server,
        zone,
        tsig_key,
        off,
    } = command;
    // The running servers read publishers on every pass: nothing to announce.
    let composition = compose(
        settings,
        Arc::new(NoLookups),
        Arc::new(LocalLeases::new()),
        Arc::new(LocalTenantChanges),
        None,
    )
    .await?;
    let tenant = find(&composition.admin, &tenant).await?;
    let name = DomainName::parse(&name).map_err(|e| anyhow!("the domain {e}"))?;
    let core = composition.core;
    if off {
        core.delete_publisher(&tenant, &Origin::cli(), &name)
            .await
            .with_context(|| format!("cannot stop publishing {name}"))?;
        println!("stopped publishing {name}; the records written stay in the zone");
        return Ok(());
    }
    let (Some(server), Some(zone), Some(key)) = (server, zone, tsig_key) else {
        anyhow::bail!("--server, --zone and --tsig-key are required, except with --off");
    };
    let config = PublisherConfig {
        server: server
            .trim()
            .parse()
            .map_err(|_| anyhow!("--server must be IP:PORT, such as 192.0.2.53:53"))?,
        zone: DomainName::parse(zone.trim().trim_end_matches('.'))
            .map_err(|e| anyhow!("--zone {e}"))?,
        key: TsigKey::parse(&key).map_err(|e| anyhow!("--tsig-key {e}"))?,
    };
    let publisher = core
        .set_publisher(&tenant, &Origin::cli(), &name, config)
        .await
        .with_context(|| format!("cannot publish {name}"))?;
    println!(
        "publishing {} of tenant {} into zone {} at {} with key {} (status {})",
        publisher.authority,
        tenant.name,
        publisher.config.zone,
        publisher.config.server,
        publisher.config.key,
        publisher.status
    );
    Ok(())
}
