//! Rotation's store: settings, pending keys (one rotation at a time, never a
//! selector twice), promotion that retires the replaced key, and the
//! background's candidates across tenants.

use chrono::Utc;
use signet_domain::delegation::ZoneLabel;
use signet_domain::ports::{
    DomainStore as _, KeyChange, KeyStore as _, NewKey, RotationStore as _,
};
use signet_domain::{
    AlgorithmSet, DeleteRule, Entity, Error, KeyStage, RotationPolicy, RuleViolation,
    SendingDomain, Span,
};

use crate::support::{domain, new_key, note, selector, storage_tests};

fn pending(domain_name: &str, selector_name: &str) -> NewKey {
    NewKey {
        stage: KeyStage::Pending,
        active: false,
        ..new_key(domain_name, selector_name, false)
    }
}

storage_tests! {
    async fn settings_read_back_as_stored(db) {
        let acme = db.tenant("acme").await;
        let authority = domain("example.com");
        assert_eq!(db.store.rotation_policy(acme.id, &authority).await.unwrap(), None);
        let policy = RotationPolicy {
            enabled: true,
            interval: Some(Span::parse("5d").unwrap()),
            delete_after: Span::seconds(0),
            algorithms: AlgorithmSet::parse("rsa").unwrap(),
            ..RotationPolicy::default()
        };
        db.store.set_rotation_policy(acme.id, &authority, &policy, &note()).await.unwrap();
        let changed = RotationPolicy { enabled: false, ..policy };
        db.store.set_rotation_policy(acme.id, &authority, &changed, &note()).await.unwrap();
        assert_eq!(db.store.rotation_policy(acme.id, &authority).await.unwrap(), Some(changed));
    }

    async fn a_second_rotation_waits_for_the_pending_key(db) {
        let acme = db.tenant("acme").await;
        let authority = domain("example.com");
        db.store.start_rotation(acme.id, &authority, vec![pending("example.com", "s1")], &note()).await.unwrap();
        let again = db.store.start_rotation(acme.id, &authority, vec![pending("example.com", "s2")], &note()).await;
        assert!(matches!(again, Err(Error::Rule(RuleViolation::PendingKeyWaits(name))) if name == "s1._domainkey.example.com"));
    }

    async fn a_selector_a_rotation_issued_is_never_issued_again(db) {
        let acme = db.tenant("acme").await;
        let authority = domain("example.com");
        let made = db.store.start_rotation(acme.id, &authority, vec![pending("example.com", "s1")], &note()).await.unwrap();
        db.store.delete_key(acme.id, made[0].id, DeleteRule::Any, &note()).await.unwrap();
        assert!(db.store.selector_used(acme.id, &authority, &selector("S1")).await.unwrap());
        let again = db.store.start_rotation(acme.id, &authority, vec![pending("example.com", "s1")], &note()).await;
        assert!(matches!(again, Err(Error::Conflict(Entity::Key))));
    }

    async fn a_delegated_authority_takes_its_pair_selectors_again_once_their_keys_are_gone(db) {
        let acme = db.tenant("acme").await;
        let authority = domain("example.com");
        let delegated = SendingDomain {
            name: authority.clone(),
            authority: authority.clone(),
            created_at: Utc::now(),
            zone_label: Some(ZoneLabel::random()),
        };
        db.store.insert_domain(acme.id, &delegated, &note()).await.unwrap();
        let made = db.store.start_rotation(acme.id, &authority, vec![pending("example.com", "pdk2")], &note()).await.unwrap();
        // Held by a key: a conflict still.
        db.store.promote_key(acme.id, made[0].id, &note()).await.unwrap();
        let held = db.store.start_rotation(acme.id, &authority, vec![pending("example.com", "pdk2")], &note()).await;
        assert!(matches!(held, Err(Error::Conflict(Entity::Key))), "{held:?}");
        // Gone: issued again.
        db.store.delete_key(acme.id, made[0].id, DeleteRule::Any, &note()).await.unwrap();
        let again = db.store.start_rotation(acme.id, &authority, vec![pending("example.com", "pdk2")], &note()).await.unwrap();
        assert_eq!(again[0].selector.as_str(), "pdk2");
    }

    async fn promotion_retires_the_replaced_key_and_moves_the_default(db) {
        let acme = db.tenant("acme").await;
        let authority = domain("example.com");
        let old = db.store.insert_key(acme.id, new_key("example.com", "old", true), &note()).await.unwrap();
        let made = db.store.start_rotation(acme.id, &authority, vec![pending("example.com", "new")], &note()).await.unwrap();
        let new = db.store.promote_key(acme.id, made[0].id, &note()).await.unwrap();
        assert_eq!((new.stage, new.active, new.default_for_domain), (KeyStage::Active, true, true));
        assert!(new.activated_at.is_some());
        let old = db.store.get_key(acme.id, old.id).await.unwrap().unwrap();
        assert_eq!((old.stage, old.active, old.default_for_domain), (KeyStage::Retiring, false, false));
        assert!(old.retiring_at.is_some());
        // Promoting again changes nothing.
        let twice = db.store.promote_key(acme.id, new.id, &note()).await.unwrap();
        assert_eq!(twice, new);
    }

    async fn a_stage_step_leaves_a_key_that_moved_meanwhile(db) {
        let acme = db.tenant("acme").await;
        let key = db.store.insert_key(acme.id, new_key("example.com", "s1", true), &note()).await.unwrap();
        // The background read it retiring; a caller activated it again since.
        let retire = KeyChange { stage: Some(KeyStage::Retired), only_in: Some(KeyStage::Retiring), ..KeyChange::at(Utc::now()) };
        let kept = db.store.update_key(acme.id, key.id, retire.clone(), &note()).await.unwrap();
        assert_eq!(kept, key);
        assert!(!db.store.delete_key(acme.id, key.id, DeleteRule::OnlyIn(KeyStage::Retired), &note()).await.unwrap());
        assert_eq!(db.store.get_key(acme.id, key.id).await.unwrap(), Some(key.clone()));
        // In the stage the step expects, it applies.
        let retiring = KeyChange { stage: Some(KeyStage::Retiring), ..KeyChange::at(Utc::now()) };
        db.store.update_key(acme.id, key.id, retiring, &note()).await.unwrap();
        let retired = db.store.update_key(acme.id, key.id, retire, &note()).await.unwrap();
        assert_eq!(retired.stage, KeyStage::Retired);
        assert!(db.store.delete_key(acme.id, key.id, DeleteRule::OnlyIn(KeyStage::Retired), &note()).await.unwrap());
    }

    async fn candidates_are_authorities_with_staged_keys_or_rotation_on(db) {
        let a = db.tenant("a").await;
        let b = db.tenant("b").await;
        db.key(&a, "quiet.example", "s1").await;
        db.store.start_rotation(a.id, &domain("rotating.example"), vec![pending("rotating.example", "s1")], &note()).await.unwrap();
        let on = RotationPolicy { enabled: true, ..RotationPolicy::default() };
        db.store.set_rotation_policy(b.id, &domain("auto.example"), &on, &note()).await.unwrap();
        let off = RotationPolicy::default();
        db.store.set_rotation_policy(b.id, &domain("off.example"), &off, &note()).await.unwrap();

        let all = db.store.rotation_candidates(None, 10).await.unwrap();
        let names: Vec<(i64, &str)> = all.iter().map(|(t, d)| (t.0, d.as_str())).collect();
        assert_eq!(names, [(a.id.0, "rotating.example"), (b.id.0, "auto.example")]);
        let rest = db.store.rotation_candidates(Some(all[0].clone()), 10).await.unwrap();
        assert_eq!(rest, all[1..]);
        assert_eq!(db.store.rotation_candidates(None, 1).await.unwrap(), all[..1]);
    }
}
