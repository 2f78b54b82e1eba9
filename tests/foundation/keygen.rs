//! Key generation under a burst: large sizes in their own lane, each tenant
//! held to its share, a bounded wait in the queue (503 with `Retry-After` in
//! each dialect's shape), and a timeout of its own.

use std::time::{Duration, Instant};

use reqwest::header::RETRY_AFTER;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{json, Value};
use signet_tests::{spawn_app_configured, spawn_app_with, AppOptions, TestApp};

use super::{assert_greenarrow_error, assert_mailgun_error, GREENARROW_KEYS, MAILGUN_KEYS};

/// A GreenArrow create that generates a key of `bits`, as `api_key`'s tenant.
fn greenarrow_create(app: &TestApp, api_key: &str, selector: &str, bits: u32) -> RequestBuilder {
    let body = json!({ "dkim_key": {
        "domain": "example.com", "selector": selector, "key": { "bits": bits }
    }});
    app.client
        .post(app.url(GREENARROW_KEYS))
        .basic_auth("api", Some(api_key))
        .json(&body)
}

/// Status, `Retry-After`, body and time taken of a request sent now.
async fn timed(request: RequestBuilder) -> (StatusCode, Option<String>, Value, Duration) {
    let started = Instant::now();
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.expect("a JSON body");
    (status, retry_after, body, started.elapsed())
}

#[tokio::test]
async fn one_tenants_8192_bit_burst_stalls_no_other_tenant_and_its_overflow_gets_503() {
    let app = spawn_app_configured(|s| s.keygen.queue_timeout = Duration::from_secs(1)).await;
    let other = app.new_tenant("other").await;

    // Four at once: one generates, the rest wait on the tenant's own share.
    let burst: Vec<_> = (0..4)
        .map(|i| {
            tokio::spawn(timed(greenarrow_create(
                &app,
                &app.api_key,
                &format!("big{i}"),
                8192,
            )))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (status, _, body, took) = timed(greenarrow_create(&app, &other, "small", 1024)).await;
    eprintln!("the other tenant's 1024-bit create took {took:?}");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(took < Duration::from_secs(2), "took {took:?}");

    let mut answers = Vec::new();
    for request in burst {
        answers.push(request.await.unwrap());
    }
    let (done, refused): (Vec<_>, Vec<_>) = answers
        .into_iter()
        .partition(|(status, ..)| *status == StatusCode::OK);
    assert_eq!(done.len(), 1, "exactly one 8192-bit key is generated");
    eprintln!("the one 8192-bit create took {:?}", done[0].3);
    assert_eq!(
        done[0].2["data"]["dkim_key"]["key"]["bits"], 8192,
        "{}",
        done[0].2
    );
    assert_eq!(refused.len(), 3);
    for (status, retry_after, body, took) in refused {
        eprintln!("a queued 8192-bit create was refused after {took:?}");
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(retry_after.as_deref(), Some("1"));
        assert_greenarrow_error(&body);
        assert_eq!(body["error_code"], "internal_error");
        assert!(took < Duration::from_secs(5), "refused only after {took:?}");
    }
}

#[tokio::test]
async fn a_mailgun_create_queued_past_the_queue_timeout_gets_503_with_retry_after() {
    let app = spawn_app_with(AppOptions {
        configure: Some(|s| {
            s.keygen.concurrency = 1;
            s.keygen.queue_timeout = Duration::from_millis(20);
        }),
        ..AppOptions::default()
    })
    .await;
    // One generator: while one 2048-bit key is made (tenths of a second),
    // the others wait longer than 20 ms.
    let creates: Vec<_> = (0..4)
        .map(|i| {
            let request = app.post(MAILGUN_KEYS).form(&[
                ("signing_domain", "example.com"),
                ("selector", &format!("s{i}")),
                ("bits", "2048"),
            ]);
            tokio::spawn(timed(request))
        })
        .collect();
    let mut refused = 0;
    for create in creates {
        let (status, retry_after, body, took) = create.await.unwrap();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            eprintln!("a queued 2048-bit Mailgun create was refused after {took:?}");
            refused += 1;
            assert_eq!(retry_after.as_deref(), Some("1"));
            assert_mailgun_error(&body);
        } else {
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    }
    assert!(refused > 0, "no create waited in the queue");
}

#[tokio::test]
async fn a_generation_may_outlive_the_request_timeout_up_to_the_keygen_timeout() {
    let app = spawn_app_with(AppOptions {
        configure: Some(|s| {
            s.limits.request_timeout = Duration::from_millis(250);
            s.limits.keygen_timeout = Duration::from_secs(60);
        }),
        ..AppOptions::default()
    })
    .await;
    let (status, _, body, took) = timed(greenarrow_create(&app, &app.api_key, "big", 4096)).await;
    eprintln!("a 4096-bit create took {took:?}");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["dkim_key"]["key"]["bits"], 4096);
}
