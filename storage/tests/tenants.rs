//! Tenants, their settings and API keys.

use signet_domain::ports::TenantStore as _;
use signet_domain::tenant::ApiKeyHash;
use signet_domain::{ApiKeyId, Entity, Error, MinRsaBits, TenantId, TenantName, TenantSettings};

use crate::support::{note, storage_tests};

fn name(s: &str) -> TenantName {
    TenantName::parse(s).unwrap()
}

storage_tests! {
    async fn tenants_are_created_found_and_listed_by_name(db) {
        let zeta = db.tenant("zeta").await;
        let acme = db.tenant("acme").await;
        assert_ne!(zeta.id, acme.id);
        assert_eq!(acme.name.as_str(), "acme");
        assert_eq!(acme.settings, TenantSettings::default());
        assert!(!acme.settings.private_key_export);
        assert_eq!(db.store.find_tenant(&name("acme")).await.unwrap(), Some(acme.clone()));
        assert!(db.store.find_tenant(&name("nobody")).await.unwrap().is_none());
        assert_eq!(db.store.list_tenants().await.unwrap(), [acme, zeta]);
    }

    async fn a_taken_tenant_name_conflicts(db) {
        db.tenant("acme").await;
        let err = db.store.create_tenant(&name("acme"), &note()).await.unwrap_err();
        assert!(matches!(err, Error::Conflict(Entity::Tenant)), "{err:?}");
        assert_eq!(db.store.list_tenants().await.unwrap().len(), 1);
    }

    async fn settings_are_replaced(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        let export = TenantSettings { private_key_export: true, ..TenantSettings::default() };
        let updated = db.store.update_settings(acme.id, export, &note()).await.unwrap();
        assert_eq!(updated.settings, export);
        assert_eq!(db.store.find_tenant(&name("acme")).await.unwrap(), Some(updated));
        assert_eq!(db.store.find_tenant(&name("other")).await.unwrap(), Some(other));
        let back = db.store.update_settings(acme.id, TenantSettings::default(), &note()).await.unwrap();
        assert!(!back.settings.private_key_export);
        assert_eq!(back.settings.min_rsa_bits.bits(), 1024);
        for bits in MinRsaBits::CHOICES {
            let min = TenantSettings { min_rsa_bits: MinRsaBits::try_from(bits).unwrap(), ..export };
            db.store.update_settings(acme.id, min, &note()).await.unwrap();
            let read = db.store.find_tenant(&name("acme")).await.unwrap().unwrap();
            assert_eq!(read.settings, min);
        }
        let err = db.store.update_settings(TenantId(404), export, &note()).await.unwrap_err();
        assert!(matches!(err, Error::NotFound(Entity::Tenant)), "{err:?}");
    }

    async fn an_api_key_finds_its_tenant_until_revoked(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        let hash = ApiKeyHash::of("sgn_first");
        let id = db.store.add_api_key(acme.id, &hash, None, &note()).await.unwrap();
        let second = db.store.add_api_key(acme.id, &ApiKeyHash::of("sgn_second"), None, &note()).await.unwrap();
        let other_key = db.store.add_api_key(other.id, &ApiKeyHash::of("sgn_other"), None, &note()).await.unwrap();
        assert_eq!(db.store.tenant_by_api_key(&hash).await.unwrap(), Some((acme.clone(), id)));
        assert_eq!(
            db.store.tenant_by_api_key(&ApiKeyHash::of("sgn_other")).await.unwrap(),
            Some((other.clone(), other_key))
        );
        assert!(db.store.tenant_by_api_key(&ApiKeyHash::of("sgn_unknown")).await.unwrap().is_none());

        let listed = db.store.list_api_keys(acme.id).await.unwrap();
        assert_eq!(listed.iter().map(|k| k.id).collect::<Vec<_>>(), [id, second]);
        assert!(listed.iter().all(|k| k.revoked_at.is_none()));

        // Another tenant cannot revoke it.
        assert!(!db.store.revoke_api_key(other.id, id, &note()).await.unwrap());
        assert!(db.store.tenant_by_api_key(&hash).await.unwrap().is_some());

        assert!(db.store.revoke_api_key(acme.id, id, &note()).await.unwrap());
        assert!(db.store.tenant_by_api_key(&hash).await.unwrap().is_none());
        assert!(!db.store.revoke_api_key(acme.id, id, &note()).await.unwrap());
        assert!(!db.store.revoke_api_key(acme.id, ApiKeyId(999), &note()).await.unwrap());
        assert_eq!(
            db.store.tenant_by_api_key(&ApiKeyHash::of("sgn_second")).await.unwrap(),
            Some((acme.clone(), second))
        );
        let listed = db.store.list_api_keys(acme.id).await.unwrap();
        assert!(listed[0].revoked_at.is_some());
        assert!(listed[1].revoked_at.is_none());
        assert_eq!(db.store.list_api_keys(other.id).await.unwrap().len(), 1);
    }

    async fn the_tenant_found_by_api_key_carries_current_settings(db) {
        let acme = db.tenant("acme").await;
        let hash = ApiKeyHash::of("sgn_key");
        db.store.add_api_key(acme.id, &hash, None, &note()).await.unwrap();
        let export = TenantSettings { private_key_export: true, ..TenantSettings::default() };
        db.store.update_settings(acme.id, export, &note()).await.unwrap();
        let (found, _) = db.store.tenant_by_api_key(&hash).await.unwrap().unwrap();
        assert_eq!(found.settings, export);
    }

    async fn a_duplicate_api_key_hash_or_missing_tenant_is_refused(db) {
        let acme = db.tenant("acme").await;
        let hash = ApiKeyHash::of("sgn_key");
        db.store.add_api_key(acme.id, &hash, None, &note()).await.unwrap();
        let err = db.store.add_api_key(acme.id, &hash, None, &note()).await.unwrap_err();
        assert!(matches!(err, Error::Conflict(Entity::ApiKey)), "{err:?}");
        let err = db
            .store
            .add_api_key(TenantId(404), &ApiKeyHash::of("sgn_x"), None, &note())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound(Entity::Tenant)), "{err:?}");
    }

    async fn the_store_answers_a_ping(db) {
        db.store.ping().await.unwrap();
    }
}
