//! Fleets: names unique per tenant, tokens found by hash, revocation, the
//! keys a feed receives by stage, and a read recorded once per ETag.

use signet_domain::ports::{FleetStore as _, KeyStore as _};
use signet_domain::{Entity, Error, FleetDomains, FleetName, FleetToken, FleetTokenHash, KeyStage};

use crate::support::{new_key, note, private_key, storage_tests};

fn name(s: &str) -> FleetName {
    FleetName::parse(s).unwrap()
}

fn domains(s: &str) -> FleetDomains {
    FleetDomains::parse_list(s).unwrap()
}

storage_tests! {
    async fn a_fleet_is_found_by_its_token_hash_until_revoked(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        let token = FleetToken::generate();
        let fleet = db
            .store
            .create_fleet(acme.id, &name("mta"), &domains("b.example,a.example"), &token.hash(), &note())
            .await
            .unwrap();
        assert_eq!(fleet.domains, domains("a.example,b.example"));
        let again = db
            .store
            .create_fleet(acme.id, &name("mta"), &domains("a.example"), &FleetToken::generate().hash(), &note())
            .await
            .unwrap_err();
        assert!(matches!(again, Error::Conflict(Entity::Fleet)), "{again:?}");
        db.store
            .create_fleet(other.id, &name("mta"), &domains("a.example"), &FleetToken::generate().hash(), &note())
            .await
            .expect("names are unique per tenant only");

        let access = db.store.fleet_by_token(&token.hash()).await.unwrap().unwrap();
        assert_eq!(access.tenant, acme);
        assert_eq!(access.fleet, fleet);
        assert_eq!(access.last_read, None);
        assert!(db.store.fleet_by_token(&FleetTokenHash::of("sgf_x")).await.unwrap().is_none());
        assert_eq!(db.store.list_fleets(acme.id).await.unwrap(), [fleet]);

        assert!(!db.store.revoke_fleet(other.id, &name("nope"), &note()).await.unwrap());
        assert!(db.store.revoke_fleet(acme.id, &name("mta"), &note()).await.unwrap());
        assert!(db.store.fleet_by_token(&token.hash()).await.unwrap().is_none());
        assert!(db.store.list_fleets(acme.id).await.unwrap().is_empty());
        assert_eq!(db.store.list_fleets(other.id).await.unwrap().len(), 1);
    }

    async fn a_feed_holds_pending_active_and_retiring_keys_of_its_domains_only(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        for (domain, selector, stage, active) in [
            ("a.example", "s4", KeyStage::Retiring, false),
            ("a.example", "s1", KeyStage::Active, true),
            ("a.example", "s2", KeyStage::Pending, false),
            ("a.example", "s3", KeyStage::Retired, false),
            ("a.example", "s5", KeyStage::Active, false),
            ("b.example", "s1", KeyStage::Active, true),
            ("c.example", "s1", KeyStage::Active, true),
        ] {
            let mut key = new_key(domain, selector, false);
            key.stage = stage;
            key.active = active;
            db.store.insert_key(acme.id, key, &note()).await.unwrap();
        }
        db.store
            .insert_key(other.id, new_key("a.example", "s9", false), &note())
            .await
            .unwrap();
        let feed = db.store.feed_keys(acme.id, &domains("a.example,b.example")).await.unwrap();
        let listed: Vec<_> = feed
            .iter()
            .map(|k| (k.key.signing_domain.as_str(), k.key.selector.as_str(), k.signing()))
            .collect();
        assert_eq!(
            listed,
            [
                ("a.example", "s1", true),
                ("a.example", "s2", false),
                ("a.example", "s4", false),
                ("b.example", "s1", true),
            ]
        );
        for served in &feed {
            assert_eq!(served.private_key.public_key(), private_key(0).public_key());
        }
    }

    async fn a_read_is_recorded_once_per_etag(db) {
        let acme = db.tenant("acme").await;
        let token = FleetToken::generate();
        let fleet = db
            .store
            .create_fleet(acme.id, &name("mta"), &domains("a.example"), &token.hash(), &note())
            .await
            .unwrap();
        assert!(db.store.record_fleet_read(acme.id, &fleet, "\"1\"", &note()).await.unwrap());
        assert!(!db.store.record_fleet_read(acme.id, &fleet, "\"1\"", &note()).await.unwrap());
        assert!(db.store.record_fleet_read(acme.id, &fleet, "\"2\"", &note()).await.unwrap());
        let access = db.store.fleet_by_token(&token.hash()).await.unwrap().unwrap();
        assert_eq!(access.last_read.as_deref(), Some("\"2\""));
    }
}
