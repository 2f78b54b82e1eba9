//! Ed25519 keys (RFC 8463) made and imported through both dialects, seen in
//! the other, refused in each dialect's shape when the input is wrong.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};
use signet_tests::dialect::greenarrow::{assert_has, assert_record_shape, id_of};
use signet_tests::dialect::mailgun::{items, Via};
use signet_tests::{backends, spawn_app, spawn_app_exporting_keys, spawn_app_on};

/// RFC 8463 Appendix A.1's private key (the seed) and public key.
pub const RFC_SEED: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
pub const RFC_PUBLIC: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

/// The PKCS#8 v1 header `openssl genpkey -algorithm ed25519` writes before
/// the seed.
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// A seed as OpenSSL's PEM (`BEGIN PRIVATE KEY`).
pub fn openssl_pem(seed_base64: &str) -> String {
    let mut der = PKCS8_PREFIX.to_vec();
    der.extend(STANDARD.decode(seed_base64).expect("base64 seed"));
    let body = STANDARD.encode(der);
    format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n")
}

/// A fresh random seed in base64.
fn random_seed() -> String {
    STANDARD.encode(rand::random::<[u8; 32]>())
}

/// The `p=` of an Ed25519 record value, checked for shape.
#[track_caller]
fn ed25519_public(value: &Value) -> String {
    let value = value.as_str().expect("a record value");
    let public = value
        .strip_prefix("k=ed25519; p=")
        .unwrap_or_else(|| panic!("not an Ed25519 record: {value}"));
    assert_eq!(public.len(), 44, "{value}");
    assert_eq!(STANDARD.decode(public).expect("base64").len(), 32);
    public.to_owned()
}

#[tokio::test]
async fn ed25519_keys_are_made_in_each_dialect_and_seen_in_the_other() {
    for backend in backends() {
        let app = spawn_app_on(backend).await;
        let (mg, ga) = (app.mailgun(), app.greenarrow());
        let params = [
            ("signing_domain", "example.com"),
            ("selector", "mg"),
            ("algorithm", "ed25519"),
        ];
        let made = mg
            .call(Method::POST, "/v1/dkim/keys", Via::Multipart, &params)
            .await
            .expect(200);
        assert_eq!(made["algorithm"], "ed25519");
        let mg_public = ed25519_public(&made["dns_record"]["value"]);
        assert_eq!(
            made["dns_record"]["strings"],
            json!([made["dns_record"]["value"]])
        );

        let record = ga
            .create_ok(json!({ "domain": "example.com", "selector": "ga", "key": { "algorithm": "ed25519" } }))
            .await;
        assert_record_shape(&record, false);
        assert_eq!(record["key"]["algorithm"], "ed25519");
        assert_eq!(record["key"]["bits"], 256);
        let ga_public = ed25519_public(&record["dns"]["public_key"]["value"]);
        assert_eq!(record["key"]["public"], ga_public);
        assert_ne!(ga_public, mg_public);

        // GreenArrow lists both as 256-bit Ed25519 keys, with Mailgun's public key.
        let listed = ga.list("domain=example.com").await.ok();
        for item in listed["dkim_keys"].as_array().unwrap() {
            assert_eq!(
                (&item["key_bits"], &item["key_algorithm"]),
                (&json!(256), &json!("ed25519"))
            );
        }
        let mg_id = id_of(&listed["dkim_keys"][0]);
        let mg_seen = ga.get(mg_id).await.ok();
        assert_eq!(mg_seen["dkim_key"]["key"]["public"], mg_public);

        // Mailgun lists GreenArrow's key with its algorithm and record.
        let page = mg
            .list_keys(&[("signing_domain", "example.com")])
            .await
            .expect(200);
        let ga_item = &items(&page)[1];
        assert_eq!(ga_item["selector"], "ga");
        assert_eq!(ga_item["algorithm"], "ed25519");
        assert_eq!(
            ga_item["dns_record"]["value"],
            record["dns"]["public_key"]["value"]
        );
    }
}

#[tokio::test]
async fn the_rfc_8463_key_imports_as_a_seed_or_a_pem_in_both_dialects() {
    for backend in backends() {
        let app = spawn_app_on(backend).await;
        let (mg, ga) = (app.mailgun(), app.greenarrow());
        let rfc_record = format!("k=ed25519; p={RFC_PUBLIC}");

        let seed = mg
            .import_key("football.example.com", "brisbane", RFC_SEED)
            .await
            .expect(200);
        assert_eq!(seed["algorithm"], "ed25519");
        assert_eq!(
            seed["dns_record"]["name"],
            "brisbane._domainkey.football.example.com"
        );
        assert_eq!(seed["dns_record"]["value"], rfc_record);
        let params = [
            ("signing_domain", "football.example.com"),
            ("selector", "pem"),
            ("algorithm", "ed25519"),
            ("pem", &openssl_pem(RFC_SEED)),
        ];
        let pem = mg
            .call(Method::POST, "/v1/dkim/keys", Via::Multipart, &params)
            .await
            .expect(200);
        assert_eq!(pem["dns_record"]["value"], rfc_record);

        for (selector, key) in [
            ("ga-seed", json!({ "private": RFC_SEED })),
            (
                "ga-pem",
                json!({ "private": openssl_pem(RFC_SEED), "algorithm": "ed25519", "bits": 256 }),
            ),
        ] {
            let record = ga
                .create_ok(
                    json!({ "domain": "football.example.com", "selector": selector, "key": key }),
                )
                .await;
            assert_record_shape(&record, false);
            assert_eq!(record["key"]["public"], RFC_PUBLIC);
            assert_eq!(record["key"]["bits"], 256);
            assert_eq!(record["dns"]["public_key"]["value"], rfc_record);
        }
    }
}

#[tokio::test]
async fn an_exported_ed25519_key_is_openssl_pkcs8_of_its_seed() {
    let app = spawn_app_exporting_keys().await;
    let ga = app.greenarrow();
    let seed = random_seed();
    let id = ga.import("example.com", "s1", &seed).await;
    let record = ga.get(id).await.ok();
    assert_record_shape(&record["dkim_key"], true);
    assert_eq!(record["dkim_key"]["key"]["private"], openssl_pem(&seed));
    // The exported PEM imports back as the same key.
    let again = ga.import("example.com", "s2", &openssl_pem(&seed)).await;
    let back = ga.get(again).await.ok();
    assert_eq!(
        back["dkim_key"]["key"]["public"],
        record["dkim_key"]["key"]["public"]
    );
}

#[tokio::test]
async fn mailgun_refuses_unknown_algorithms_and_bad_ed25519_material() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let create = |extra: &'static [(&'static str, &'static str)]| {
        let mut params = vec![("signing_domain", "example.com"), ("selector", "s1")];
        params.extend_from_slice(extra);
        params
    };
    for (extra, message) in [
        (
            &[("algorithm", "dsa")][..],
            "algorithm must be one of: rsa, ed25519",
        ),
        (
            &[("algorithm", "ed25519"), ("bits", "2048")][..],
            "bits applies to rsa keys only; leave it out with algorithm ed25519",
        ),
        (
            &[("algorithm", "rsa"), ("pem", RFC_SEED)][..],
            "algorithm must be ed25519 to import this key",
        ),
        // 31 bytes: no seed, and no PEM either.
        (
            &[("pem", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")][..],
            "failed to import domain key: failed to parse PEM",
        ),
    ] {
        for via in [Via::UrlEncoded, Via::Multipart] {
            mg.call(Method::POST, "/v1/dkim/keys", via, &create(extra))
                .await
                .expect_error(400, message);
        }
    }
    let page = mg.list_keys(&[]).await.expect(200);
    assert!(items(&page).is_empty(), "nothing was written: {page}");
}

#[tokio::test]
async fn greenarrow_refuses_unknown_algorithms_and_bad_ed25519_material() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let create = |key: Value| json!({ "domain": "example.com", "selector": "s1", "key": key });
    for (key, message) in [
        (
            json!({ "algorithm": "dsa", "bits": 2048 }),
            "key.algorithm must be one of: rsa, ed25519",
        ),
        (
            json!({ "algorithm": "ed25519", "bits": 2048 }),
            "key.bits must be 256 for an ed25519 key",
        ),
        (
            json!({ "bits": 256 }),
            "key.bits must be a positive integer greater than or equal to 512",
        ),
        (
            json!({ "private": "bm90IGEga2V5" }),
            "key.private must be a valid private key",
        ),
        (
            json!({ "algorithm": "rsa", "private": RFC_SEED }),
            "key.algorithm must equal the algorithm of key.private (ed25519), or be left out",
        ),
        (
            json!({ "private": RFC_SEED, "bits": 1024 }),
            "key.bits must equal the size of key.private (256 bits), or be left out",
        ),
    ] {
        let messages = ga.create(create(key.clone())).await.validation_failed();
        assert_has(&messages, message);
    }
    assert!(ga.ids("").await.is_empty(), "nothing was written");

    // An existing key keeps its algorithm unless a new private key comes.
    let id = ga.import("example.com", "s1", RFC_SEED).await;
    let messages = ga
        .update(id, json!({ "key": { "algorithm": "rsa" } }))
        .await
        .validation_failed();
    assert_eq!(
        messages,
        ["key.algorithm may not be changed on existing keys without a new key.private (this key is ed25519)"]
    );
    let same = ga
        .update(
            id,
            json!({ "key": { "algorithm": "ed25519", "bits": 256 } }),
        )
        .await
        .ok();
    assert_eq!(same["dkim_key"]["key"]["public"], RFC_PUBLIC);
}

#[tokio::test]
async fn greenarrow_takes_bits_256_with_an_ed25519_private_key() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    // Its `key_bits` for Ed25519 is 256, so a client echoes it back.
    let record = ga
        .create_ok(json!({ "domain": "example.com", "selector": "s1", "key": { "private": RFC_SEED, "bits": 256 } }))
        .await;
    assert_eq!(record["key"]["algorithm"], "ed25519");
    assert_eq!(record["key"]["bits"], 256);
    assert_eq!(record["key"]["public"], RFC_PUBLIC);
    let other = random_seed();
    let updated = ga
        .update(
            id_of(&record),
            json!({ "key": { "private": openssl_pem(&other), "bits": 256 } }),
        )
        .await
        .ok();
    assert_eq!(updated["dkim_key"]["key"]["bits"], 256);
    assert_ne!(updated["dkim_key"]["key"]["public"], RFC_PUBLIC);
}

/// Runs `openssl` with `args`, feeding `input`; `None` if it is not installed.
async fn openssl(args: &[&str], input: &str) -> Option<String> {
    use tokio::io::AsyncWriteExt as _;
    let mut child = tokio::process::Command::new("openssl")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin
        .write_all(input.as_bytes())
        .await
        .expect("openssl reads");
    drop(stdin);
    let output = child.wait_with_output().await.expect("openssl runs");
    assert!(output.status.success(), "openssl {args:?} failed");
    Some(String::from_utf8(output.stdout).expect("PEM is text"))
}

#[tokio::test]
async fn openssls_ed25519_keys_import_and_export_back_to_openssl() {
    let Some(pem) = openssl(&["genpkey", "-algorithm", "ed25519"], "").await else {
        signet_tests::skip("openssl is not installed");
        return;
    };
    let public_pem = openssl(&["pkey", "-pubout"], &pem).await.unwrap();
    // An Ed25519 SubjectPublicKeyInfo is a 12-byte header and the raw key.
    let body: String = public_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let raw = STANDARD.encode(&STANDARD.decode(body).unwrap()[12..]);

    let app = spawn_app_exporting_keys().await;
    let imported = app
        .mailgun()
        .import_key("example.com", "mg", &pem)
        .await
        .expect(200);
    assert_eq!(
        imported["dns_record"]["value"],
        format!("k=ed25519; p={raw}")
    );
    let ga = app.greenarrow();
    let record = ga
        .get(ga.import("example.com", "ga", &pem).await)
        .await
        .ok();
    assert_eq!(record["dkim_key"]["key"]["public"], raw);
    // What Signet exports, OpenSSL reads as the same key.
    let exported = record["dkim_key"]["key"]["private"].as_str().unwrap();
    assert_eq!(exported, pem);
    let again = openssl(&["pkey", "-pubout"], exported).await.unwrap();
    assert_eq!(again, public_pem);
}
