//! Signet's database schema: the only place it changes. The same migrations
//! run on SQLite and PostgreSQL.

pub use sea_orm_migration::MigratorTrait;

use sea_orm_migration::{async_trait, MigrationTrait};

mod m20261122_000001_create_tenants;
mod m20261122_000002_create_api_keys;
mod m20261122_000003_create_dkim_keys;
mod m20261122_000004_create_sending_domains;
mod m20261123_000001_index_dkim_keys_by_dns_check;
mod m20261129_000001_add_tenants_min_rsa_bits;
mod m20261129_000002_create_sealing_canary;
mod m20261129_000003_create_audit_events;
mod m20261129_000004_add_api_keys_label_and_last_use;
mod m20261129_000005_add_dkim_keys_algorithm_and_stage;
mod m20261129_000007_create_rotation_settings;
mod m20261129_000008_add_dkim_keys_stage_times;
mod m20261129_000009_create_fleets;
mod m20261129_000010_add_audit_events_target_fleet;
mod m20261205_000001_add_rotation_settings_span_texts;
mod m20261206_000001_add_sending_domains_zone_label;
mod m20261206_000002_create_dns_publishers;
mod m20261206_000003_add_tenants_key_count;
mod m20261206_000004_add_tenants_key_version;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_tenants::Migration),
            Box::new(m20261122_000002_create_api_keys::Migration),
            Box::new(m20261122_000003_create_dkim_keys::Migration),
            Box::new(m20261122_000004_create_sending_domains::Migration),
            Box::new(m20261123_000001_index_dkim_keys_by_dns_check::Migration),
            Box::new(m20261129_000001_add_tenants_min_rsa_bits::Migration),
            Box::new(m20261129_000002_create_sealing_canary::Migration),
            Box::new(m20261129_000003_create_audit_events::Migration),
            Box::new(m20261129_000004_add_api_keys_label_and_last_use::Migration),
            Box::new(m20261129_000005_add_dkim_keys_algorithm_and_stage::Migration),
            Box::new(m20261129_000007_create_rotation_settings::Migration),
            Box::new(m20261129_000008_add_dkim_keys_stage_times::Migration),
            Box::new(m20261129_000009_create_fleets::Migration),
            Box::new(m20261129_000010_add_audit_events_target_fleet::Migration),
            Box::new(m20261205_000001_add_rotation_settings_span_texts::Migration),
            Box::new(m20261206_000001_add_sending_domains_zone_label::Migration),
            Box::new(m20261206_000002_create_dns_publishers::Migration),
            Box::new(m20261206_000003_add_tenants_key_count::Migration),
            Box::new(m20261206_000004_add_tenants_key_version::Migration),
        ]
    }
}
