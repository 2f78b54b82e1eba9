//! What each command does. Results go to stdout, logs to stderr.

mod domain;
mod serve;

use std::sync::Arc;

use anyhow::{anyhow, Context as _};
use serde_json::json;
use signet_console::{BuiltInIssuer, Grant, Role};
use signet_domain::shared_state::TenantChanges;
use signet_domain::{
    Admin, ApiKeyId, ApiKeyLabel, Chain, Fleet, FleetDomains, FleetName, Origin, Tenant,
    TenantName, TenantSettings,
};
use signet_storage::shared::{LocalLeases, LocalTenantChanges};

use crate::dns::NoLookups;
use crate::settings::cli::{
    ApiKeyCommand, Command, ConsoleCommand, FleetAdminCommand, FleetCommand, TenantCommand,
};
use crate::settings::Settings;
use crate::shared_state;
use crate::startup::{compose, open_storage};

/// Runs a command (`serve` when none is given).
pub async fn run(command: Option<Command>, settings: Settings) -> anyhow::Result<()> {
    match command.unwrap_or(Command::Serve) {
        Command::Serve => serve::serve(settings).await,
        Command::Migrate => {
            open_storage(&settings).await?;
            tracing::info!("the database is up to date");
            Ok(())
        }
        Command::Tenant(command) => tenant(command, &admin(&settings).await?).await,
        Command::ApiKey(command) => api_key(command, &admin(&settings).await?).await,
        Command::Console(command) => console(command, &settings).await,
        Command::Fleet(FleetCommand::Sync(args)) => signet_agent::run(args.into_options()).await,
        Command::Fleet(FleetCommand::Admin(command)) => {
            fleet(command, &admin(&settings).await?).await
        }
        Command::Domain(command) => domain::run(command, &settings).await,
    }
}

/// Mints a built-in console token after checking that its tenant exists
/// (a token for an unknown tenant would be refused anyway).
async fn console(command: ConsoleCommand, settings: &Settings) -> anyhow::Result<()> {
    let ConsoleCommand::Token {
        tenant,
        role,
        subject,
        ttl,
    } = command;
    let composition = compose(
        settings,
        Arc::new(NoLookups),
        Arc::new(LocalLeases::new()),
        Arc::new(LocalTenantChanges),
        None,
    )
    .await?;
    let tenant = match (role, tenant) {
        (Role::Operator, None) => None,
        (Role::Operator, Some(_)) => {
            anyhow::bail!("--role operator acts on every tenant: leave --tenant out")
        }
        (_, None) => anyhow::bail!("--tenant is required, except with --role operator"),
        (_, Some(name)) => Some(find(&composition.admin, &name).await?.name.to_string()),
    };
    anyhow::ensure!(!subject.trim().is_empty(), "--subject must not be empty");
    let grant = Grant {
        subject,
        tenant,
        role,
    };
    println!(
        "{}",
        BuiltInIssuer::of(|purpose| composition.storage.derive_secret(purpose))
            .mint(&grant, ttl)?
    );
    Ok(())
}

/// Administration over the database, with no DNS resolver. With Redis
/// configured (and its URL valid) it announces revocations and settings changes there, so
/// running nodes apply them at once; without, or while Redis is down, they
/// do within their authentication cache's TTL.
async fn admin(settings: &Settings) -> anyhow::Result<Admin> {
    let leases = Arc::new(LocalLeases::new());
    let changes: Arc<dyn TenantChanges> = match settings.redis_url {
        None => Arc::new(LocalTenantChanges),
        Some(_) => match shared_state::connect(settings).await {
            Ok(shared) => shared.tenant_changes(),
            Err(e) => {
                tracing::warn!(
                    error = %Chain(e.as_ref()),
                    "changes are not announced; running servers apply them within a second"
                );
                Arc::new(LocalTenantChanges)
            }
        },
    };
    let composition = compose(settings, Arc::new(NoLookups), leases, changes, None).await?;
    Ok(composition.admin)
}

async fn tenant(command: TenantCommand, admin: &Admin) -> anyhow::Result<()> {
    match command {
        TenantCommand::Create { name, json } => {
            let name = parse_name(&name)?;
            let (tenant, key) = admin
                .create_tenant(&Origin::cli(), &name)
                .await
                .with_context(|| format!("cannot create tenant {name}"))?;
            if json {
                let out = json!({
                    "tenant_id": tenant.id.0,
                    "name": tenant.name.as_str(),
                    "api_key": key.secret.expose(),
                });
                println!("{out}");
            } else {
                println!("created tenant {} (id {})", tenant.name, tenant.id);
                println!("API key (shown only this once): {}", key.secret.expose());
            }
        }
        TenantCommand::List { json } => {
            let tenants = admin.list_tenants().await?;
            if json {
                let out: Vec<_> = tenants
                    .iter()
                    .map(|t| {
                        json!({
                            "tenant_id": t.id.0,
                            "name": t.name.as_str(),
                            "private_key_export": t.settings.private_key_export,
                            "min_rsa_bits": t.settings.min_rsa_bits.bits(),
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(out));
            } else {
                println!(
                    "{:>6}  {:<32}  PRIVATE_KEY_EXPORT  MIN_RSA_BITS",
                    "ID", "NAME"
                );
                for t in tenants {
                    println!(
                        "{:>6}  {:<32}  {:<18}  {}",
                        t.id,
                        t.name.as_str(),
                        on_off(t.settings.private_key_export),
                        t.settings.min_rsa_bits
                    );
                }
            }
        }
        TenantCommand::Set {
            name,
            private_key_export,
            min_rsa_bits,
        } => {
            let tenant = find(admin, &name).await?;
            let current = tenant.settings;
            let settings = TenantSettings {
                private_key_export: private_key_export
                    .map_or(current.private_key_export, bool::from),
                min_rsa_bits: min_rsa_bits.unwrap_or(current.min_rsa_bits),
            };
            let tenant = admin
                .update_tenant_settings(&tenant, &Origin::cli(), settings)
                .await?;
            println!(
                "tenant {}: private-key-export {}, min-rsa-bits {}",
                tenant.name,
                on_off(tenant.settings.private_key_export),
                tenant.settings.min_rsa_bits
            );
        }
    }
    Ok(())
}

async fn api_key(command: ApiKeyCommand, admin: &Admin) -> anyhow::Result<()> {
    match command {
        ApiKeyCommand::Create {
            tenant,
            label,
            json,
        } => {
            let tenant = find(admin, &tenant).await?;
            let label = label
                .as_deref()
                .map(ApiKeyLabel::parse)
                .transpose()
                .map_err(|e| anyhow!("--label {e}"))?;
            let key = admin
                .issue_labelled_api_key(&tenant, &Origin::cli(), label.as_ref())
                .await?;
            if json {
                let out = json!({
                    "tenant_id": tenant.id.0,
                    "name": tenant.name.as_str(),
                    "api_key_id": key.id.0,
                    "api_key": key.secret.expose(),
                });
                println!("{out}");
            } else {
                println!("issued API key {} to tenant {}", key.id, tenant.name);
                println!("API key (shown only this once): {}", key.secret.expose());
            }
        }
        ApiKeyCommand::List { tenant, json } => {
            let tenant = find(admin, &tenant).await?;
            let keys = admin.list_api_keys(&tenant).await?;
            if json {
                let out: Vec<_> = keys
                    .iter()
                    .map(|k| {
                        json!({
                            "api_key_id": k.id.0,
                            "label": k.label.as_ref().map(ApiKeyLabel::as_str),
                            "created_at": k.created_at.to_rfc3339(),
                            "last_used_at": k.last_used_at.map(|t| t.to_rfc3339()),
                            "revoked_at": k.revoked_at.map(|t| t.to_rfc3339()),
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(out));
            } else {
                println!("{:>6}  {:<25}  REVOKED", "ID", "CREATED");
                for k in keys {
                    let revoked = k.revoked_at.map_or_else(|| "-".into(), |t| t.to_rfc3339());
                    println!("{:>6}  {:<25}  {revoked}", k.id, k.created_at.to_rfc3339());
                }
            }
        }
        ApiKeyCommand::Revoke { tenant, id } => {
            let tenant = find(admin, &tenant).await?;
            admin
                .revoke_api_key(&tenant, &Origin::cli(), ApiKeyId(id))
                .await
                .with_context(|| format!("cannot revoke API key {id} of tenant {}", tenant.name))?;
            println!("revoked API key {id} of tenant {}", tenant.name);
        }
    }
    Ok(())
}

async fn fleet(command: FleetAdminCommand, admin: &Admin) -> anyhow::Result<()> {
    match command {
        FleetAdminCommand::Create {
            name,
            tenant,
            domains,
            json,
        } => {
            let tenant = find(admin, &tenant).await?;
            let name = parse_fleet(&name)?;
            let domains =
                FleetDomains::parse_list(&domains).map_err(|e| anyhow!("--domains {e}"))?;
            let (fleet, token) = admin
                .create_fleet(&tenant, &Origin::cli(), &name, &domains)
                .await
                .with_context(|| format!("cannot create fleet {name} of tenant {}", tenant.name))?;
            if json {
                let out = json!({"name": fleet.name.as_str(), "token": token.expose()});
                println!("{out}");
            } else {
                println!(
                    "created fleet {} of tenant {} reading {}",
                    fleet.name,
                    tenant.name,
                    domain_list(&fleet)
                );
                println!("fleet token (shown only this once): {}", token.expose());
            }
        }
        FleetAdminCommand::List { tenant, json } => {
            let tenant = find(admin, &tenant).await?;
            let fleets = admin.list_fleets(&tenant).await?;
            if json {
                let out: Vec<_> = fleets
                    .iter()
                    .map(|f| {
                        json!({
                            "name": f.name.as_str(),
                            "domains": f.domains.as_slice().iter().map(|d| d.as_str()).collect::<Vec<_>>(),
                            "created_at": f.created_at.to_rfc3339(),
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(out));
            } else {
                println!("{:<32}  {:<32}  DOMAINS", "NAME", "CREATED");
                for f in fleets {
                    println!(
                        "{:<32}  {:<32}  {}",
                        f.name.as_str(),
                        f.created_at.to_rfc3339(),
                        domain_list(&f)
                    );
                }
            }
        }
        FleetAdminCommand::Revoke { name, tenant } => {
            let tenant = find(admin, &tenant).await?;
            let name = parse_fleet(&name)?;
            admin
                .revoke_fleet(&tenant, &Origin::cli(), &name)
                .await
                .with_context(|| format!("cannot revoke fleet {name} of tenant {}", tenant.name))?;
            println!("revoked fleet {name} of tenant {}", tenant.name);
        }
    }
    Ok(())
}

fn parse_fleet(name: &str) -> anyhow::Result<FleetName> {
    FleetName::parse(name).map_err(|e| anyhow!("fleet name {name:?} {e}"))
}

fn domain_list(fleet: &Fleet) -> String {
    let names: Vec<&str> = fleet
        .domains
        .as_slice()
        .iter()
        .map(|d| d.as_str())
        .collect();
    names.join(",")
}

fn on_off(enabled: bool) -> &'static str {
    if enabled {
        "on"
    } else {
        "off"
    }
}

fn parse_name(name: &str) -> anyhow::Result<TenantName> {
    TenantName::parse(name).map_err(|e| anyhow!("tenant name {name:?} {e}"))
}

pub(crate) async fn find(admin: &Admin, name: &str) -> anyhow::Result<Tenant> {
    let name = parse_name(name)?;
    admin
        .tenant(&name)
        .await
        .with_context(|| format!("cannot find tenant {name}"))
}
