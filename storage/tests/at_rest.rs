//! Encryption at rest: the database holds no usable private key material,
//! sealed rows cannot be swapped or altered, and the master key can rotate.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ConnectionTrait as _, DatabaseConnection};
use signet_domain::ports::{KeyChange, KeyStore as _};
use signet_domain::{Chain, Error, KeyId, PrivateKey, Tenant};
use signet_storage::{Keyring, MasterKey};

use crate::support::{exec, is_postgres, note, private_key, storage_tests, texts, TestDb};

/// Byte strings that must not appear in storage: PEM markers and bodies,
/// base64 of the PKCS#8 DER, and windows of the raw DER. Parts that are also
/// in the public key (the modulus) are left out, since that is stored openly.
fn forbidden(key: &PrivateKey) -> Vec<Vec<u8>> {
    let der = key.to_pkcs8_der();
    let public = key.public_key().0;
    let public_der = STANDARD.decode(&public).unwrap();
    let mut needles = vec![b"PRIVATE KEY".to_vec()];
    let b64 = STANDARD.encode(der.as_slice());
    needles.push(b64.clone().into_bytes());
    let pem = key.to_pem();
    let text_lines = b64
        .as_bytes()
        .chunks(64)
        .map(<[u8]>::to_vec)
        .chain(
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .map(|l| l.as_bytes().to_vec()),
        )
        .filter(|line| line.len() >= 16 && !contains(public.as_bytes(), line));
    needles.extend(text_lines);
    let windows: Vec<Vec<u8>> = der
        .windows(32)
        .step_by(16)
        .filter(|w| !contains(&public_der, w))
        .map(<[u8]>::to_vec)
        .collect();
    assert!(windows.len() > 20, "too few private windows to check");
    needles.extend(windows.iter().map(|w| hex(w).into_bytes()));
    needles.extend(windows);
    needles
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn assert_clean(place: &str, haystack: &[u8], keys: &[PrivateKey]) {
    // The data is really there: the public keys are found in the clear.
    for key in keys {
        assert!(
            contains(haystack, key.public_key().0.as_bytes()),
            "{place}: public key missing, so the check reads the wrong data"
        );
        for needle in forbidden(key) {
            assert!(
                !contains(haystack, &needle),
                "{place} holds private key material ({} bytes)",
                needle.len()
            );
        }
    }
}

/// Every row of `dkim_keys` as text, and the raw sealed bytes.
async fn stored_rows(raw: &DatabaseConnection) -> Vec<u8> {
    let sql = if is_postgres(raw) {
        "SELECT row_to_json(k)::text FROM dkim_keys k"
    } else {
        "SELECT json_object('domain', signing_domain, 'selector', selector, \
         'folded', selector_folded, 'bits', bits, 'public_key', public_key, \
         'sealed', lower(hex(private_key_sealed)), 'kid', private_key_kid, \
         'status', dns_status, 'seen', dns_seen) FROM dkim_keys"
    };
    let mut all = texts(raw, sql).await.join("\n").into_bytes();
    let rows = raw
        .query_all(sea_orm::Statement::from_string(
            raw.get_database_backend(),
            "SELECT private_key_sealed FROM dkim_keys",
        ))
        .await
        .unwrap();
    for row in rows {
        all.extend(row.try_get_by_index::<Vec<u8>>(0).unwrap());
    }
    all
}

async fn open_error(db: &TestDb, tenant: &Tenant, id: i64) -> String {
    match db.store.private_key(tenant.id, KeyId(id)).await {
        Err(e @ Error::Internal(_)) => Chain(&e).to_string(),
        other => panic!("expected an internal error, got {other:?}"),
    }
}

async fn stored_kid(raw: &DatabaseConnection, tenant: &Tenant, id: i64) -> String {
    let sql = format!(
        "SELECT private_key_kid FROM dkim_keys WHERE tenant_id = {} AND id = {id}",
        tenant.id
    );
    texts(raw, &sql).await.remove(0)
}

#[test]
fn the_material_check_catches_a_planted_key() {
    let key = private_key(0);
    let der = key.to_pkcs8_der();
    let pem_body: String = key
        .to_pem()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let plants = [
        pem_body.into_bytes(),
        STANDARD.encode(der.as_slice()).into_bytes(),
        der.to_vec(),
        der[200..300].to_vec(),
        hex(&der[300..400]).into_bytes(),
    ];
    for plant in plants {
        let mut haystack = key.public_key().0.into_bytes();
        haystack.extend(plant);
        let caught = std::panic::catch_unwind(|| {
            assert_clean("test", &haystack, std::slice::from_ref(&key))
        });
        assert!(caught.is_err(), "a planted key went unnoticed");
    }
}

storage_tests! {
    async fn the_database_holds_no_pem_base64_or_raw_private_key(db) {
        let acme = db.tenant("acme").await;
        let keys = [private_key(0), private_key(1), private_key(2)];
        db.key(&acme, "example.com", "s0").await;
        let mut second = crate::support::new_key("example.com", "s1", false);
        second.private_key = keys[1].clone();
        db.store.insert_key(acme.id, second, &note()).await.unwrap();
        // The third key arrives by replacing the first key's private half.
        let change = KeyChange { private_key: Some(keys[2].clone()), ..KeyChange::at(Utc::now()) };
        db.store.update_key(acme.id, KeyId(1), change, &note()).await.unwrap();
        db.key(&acme, "example.com", "s2").await;

        let raw = db.raw().await;
        assert_clean("dkim_keys rows", &stored_rows(&raw).await, &keys);
        if let Some(file) = &db.sqlite_file {
            let mut bytes = std::fs::read(file).unwrap();
            let wal = file.with_extension("db-wal");
            if wal.exists() {
                bytes.extend(std::fs::read(wal).unwrap());
            }
            assert_clean("the SQLite files", &bytes, &keys);
        }
    }

    async fn a_sealed_key_moved_to_another_row_does_not_open(db) {
        let a = db.tenant("a").await;
        let b = db.tenant("b").await;
        db.key(&a, "example.com", "s1").await;
        db.key(&a, "example.com", "s2").await;
        db.key(&b, "example.com", "s1").await;
        db.key(&b, "example.com", "s2").await;
        let raw = db.raw().await;
        let copy = |to: &Tenant, to_id: i64| {
            format!(
                "UPDATE dkim_keys SET private_key_sealed = \
                 (SELECT s.private_key_sealed FROM dkim_keys s WHERE s.tenant_id = {} AND s.id = 2) \
                 WHERE tenant_id = {} AND id = {to_id}",
                a.id, to.id
            )
        };
        // Another id of the same tenant, and the same id of another tenant.
        exec(&raw, &copy(&a, 1)).await;
        exec(&raw, &copy(&b, 2)).await;
        let message = open_error(&db, &a, 1).await;
        assert!(message.contains("fails authentication"), "{message}");
        assert!(!message.contains("PRIVATE KEY"));
        open_error(&db, &b, 2).await;
        // The originals still open.
        assert!(db.store.private_key(a.id, KeyId(2)).await.unwrap().is_some());
        assert!(db.store.private_key(b.id, KeyId(1)).await.unwrap().is_some());
    }

    async fn an_altered_sealed_key_does_not_open(db) {
        let acme = db.tenant("acme").await;
        db.key(&acme, "example.com", "s1").await;
        let raw = db.raw().await;
        let rows = raw
            .query_all(sea_orm::Statement::from_string(
                raw.get_database_backend(),
                "SELECT private_key_sealed FROM dkim_keys",
            ))
            .await
            .unwrap();
        let mut sealed: Vec<u8> = rows[0].try_get_by_index(0).unwrap();
        let middle = sealed.len() / 2;
        sealed[middle] ^= 0x80;
        let update = Query::update()
            .table(Alias::new("dkim_keys"))
            .value(Alias::new("private_key_sealed"), sealed)
            .and_where(Expr::col(Alias::new("tenant_id")).eq(acme.id.0))
            .to_owned();
        raw.execute(raw.get_database_backend().build(&update)).await.unwrap();
        open_error(&db, &acme, 1).await;
        // Reading the key without its private half still works.
        assert!(db.store.get_key(acme.id, KeyId(1)).await.unwrap().is_some());
    }

    async fn keys_sealed_under_a_retired_master_key_open_after_rotation(db) {
        let acme = db.tenant("acme").await;
        let old = db.master_key.clone();
        db.key(&acme, "example.com", "s1").await;
        db.key(&acme, "example.com", "s2").await;
        let raw = db.raw().await;
        assert_eq!(stored_kid(&raw, &acme, 1).await, old.id());

        let new = MasterKey::generate().unwrap();
        let rotated = db.reopen(Keyring::new(new.clone()).with_previous(old.clone())).await;
        let opened = rotated.private_key(acme.id, KeyId(1)).await.unwrap().unwrap();
        assert_eq!(opened.public_key(), private_key(0).public_key());

        // New seals use the new key, whether on insert or on replacement.
        let change = KeyChange { private_key: Some(private_key(1)), ..KeyChange::at(Utc::now()) };
        rotated.update_key(acme.id, KeyId(1), change, &note()).await.unwrap();
        let key = rotated
            .insert_key(acme.id, crate::support::new_key("example.com", "s3", false), &note())
            .await
            .unwrap();
        assert_eq!(stored_kid(&raw, &acme, 1).await, new.id());
        assert_eq!(stored_kid(&raw, &acme, key.id.0).await, new.id());
        assert_eq!(stored_kid(&raw, &acme, 2).await, old.id());

        // Without the old key, only what it sealed is lost.
        let new_only = db.reopen(Keyring::new(new.clone())).await;
        let opened = new_only.private_key(acme.id, KeyId(1)).await.unwrap().unwrap();
        assert_eq!(opened.public_key(), private_key(1).public_key());
        match new_only.private_key(acme.id, KeyId(2)).await {
            Err(e @ Error::Internal(_)) => {
                let message = Chain(&e).to_string();
                assert!(message.contains(old.id()), "{message}");
            }
            other => panic!("expected an internal error, got {other:?}"),
        }
        // And the old key alone cannot open the new seals.
        assert!(db.store.private_key(acme.id, KeyId(1)).await.is_err());
    }
}
