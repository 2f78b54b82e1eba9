//! Request ids and Prometheus metrics.

use reqwest::StatusCode;
use signet_domain::{
    CreateKey, DefaultFlag, DomainName, KeyMaterial, KeySize, KeySpec, Origin, Selector,
};
use signet_tests::spawn_app;

use super::MAILGUN_KEYS;

#[tokio::test]
async fn a_request_id_is_echoed_or_made_up() {
    let app = spawn_app().await;
    let given = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "req-42");

    let made_up = app.client.get(app.url("/healthz")).send().await.unwrap();
    let first = made_up.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let again = app.client.get(app.url("/healthz")).send().await.unwrap();
    let second = again.headers()["x-request-id"].to_str().unwrap();
    assert!(first.len() >= 32, "{first}");
    assert_ne!(first, second);
}

#[tokio::test]
async fn a_long_or_unusual_request_id_is_replaced_by_a_new_one() {
    let app = spawn_app().await;
    let long = "a".repeat(65);
    for given in [long.as_str(), "two words", "a/b", "x=1;y"] {
        let response = app
            .client
            .get(app.url("/healthz"))
            .header("x-request-id", given)
            .send()
            .await
            .unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap();
        assert_ne!(id, given);
        assert_eq!(id.len(), 36, "a UUID: {id}");
    }
    let longest = "b".repeat(64);
    let kept = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", &longest)
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], longest.as_str());
}

#[tokio::test]
async fn metrics_count_requests_by_route_method_and_status() {
    let app = spawn_app().await;
    let unauthorized = app.client.get(app.url(MAILGUN_KEYS)).send().await.unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);

    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.unwrap();
    let counted = text.lines().any(|l| {
        l.starts_with("signet_http_requests_total{")
            && l.contains(&format!("route=\"{MAILGUN_KEYS}\""))
            && l.contains("method=\"GET\"")
            && l.contains("status=\"401\"")
    });
    assert!(counted, "no request counter for {MAILGUN_KEYS}:\n{text}");
    assert!(
        text.contains("signet_http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(text.contains("signet_db_pool_size "), "{text}");
    assert!(text.contains("signet_db_pool_idle "), "{text}");
    assert!(!text.contains(&app.api_key));
}

#[tokio::test]
async fn metrics_count_key_generations_by_size() {
    let app = spawn_app().await;
    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    let request = CreateKey {
        signing_domain: DomainName::parse("metrics.example").unwrap(),
        selector: Selector::parse("gen").unwrap(),
        material: KeyMaterial::Generate(KeySpec::Rsa(KeySize::try_from(1024u32).unwrap())),
        active: false,
        default_for_domain: DefaultFlag::IfFirst,
    };
    app.core
        .create_key(&tenant, &Origin::cli(), request)
        .await
        .unwrap();

    let text = app.public_text("/metrics").await;
    assert!(
        text.lines()
            .any(|l| l.starts_with("signet_key_generations_total{bits=\"1024\"}")),
        "{text}"
    );
    assert!(
        text.contains("signet_key_generation_duration_seconds_bucket{bits=\"1024\""),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_show_the_process_and_the_build() {
    let app = spawn_app().await;
    let text = app.public_text("/metrics").await;
    let value = |name: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.split([' ', '{']).next() == Some(name))
            .unwrap_or_else(|| panic!("no {name}:\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(value("process_resident_memory_bytes") > 0.0);
    assert!(value("process_open_fds") > 0.0);
    assert!(value("process_threads") > 0.0);
    assert!(value("process_cpu_seconds_total") >= 0.0);
    let started = value("process_start_time_seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(started > now - 86_400.0 && started <= now, "{started}");
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let build = format!(
        "signet_build_info{{version=\"{}\",profile=\"{profile}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    assert!(text.lines().any(|l| l == build), "no {build}:\n{text}");
}
