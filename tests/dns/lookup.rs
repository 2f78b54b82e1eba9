//! One test per outcome of a lookup, each through a real UDP/TCP exchange.

use std::net::{Ipv4Addr, UdpSocket};
use std::time::Duration;

use chrono::Utc;
use signet_api::dns::{DnsSettings, HickoryDns};
use signet_domain::ports::DnsLookup;
use signet_domain::{DnsStatus, KeyAlgorithm, TxtAnswer};
use signet_tests::TestDns;

use super::{large_key, record, resolver, small_keys, split, NAME};

#[tokio::test]
async fn a_published_record_is_valid() {
    let (key, _) = small_keys().await;
    let dns = TestDns::start().await;
    dns.set_txt(NAME, vec![vec![record(key)]]);

    let answer = resolver(&dns).txt(NAME).await;

    assert_eq!(answer, TxtAnswer::Records(vec![record(key)]));
    let check = answer.check(KeyAlgorithm::Rsa, &key.public_key(), Utc::now());
    assert_eq!(check.status, DnsStatus::Valid);
    assert_eq!(check.seen, vec![record(key)]);
}

#[tokio::test]
async fn a_2048_bit_record_split_into_strings_is_joined_and_valid() {
    let key = large_key().await;
    let strings = split(&record(key));
    assert!(
        strings.len() >= 2,
        "a 2048-bit record needs several strings"
    );
    let dns = TestDns::start().await;
    dns.set_txt(NAME, vec![strings]);

    let answer = resolver(&dns).txt(NAME).await;

    assert_eq!(answer, TxtAnswer::Records(vec![record(key)]));
    assert_eq!(
        answer
            .check(KeyAlgorithm::Rsa, &key.public_key(), Utc::now())
            .status,
        DnsStatus::Valid
    );
    assert_eq!(
        dns.tcp_queries(),
        0,
        "one record fits a UDP answer with EDNS"
    );
}

#[tokio::test]
async fn an_answer_too_large_for_udp_arrives_whole_over_tcp() {
    let key = large_key().await;
    let filler: Vec<Vec<String>> = (0..3)
        .map(|i| vec![format!("filler {i} "), "x".repeat(255), "y".repeat(255)])
        .collect();
    let dns = TestDns::start().await;
    dns.set_txt(NAME, [vec![split(&record(key))], filler].concat());

    let answer = resolver(&dns).txt(NAME).await;

    let TxtAnswer::Records(records) = &answer else {
        panic!("expected records, got {answer:?}");
    };
    assert_eq!(records.len(), 4);
    assert!(
        dns.tcp_queries() >= 1,
        "the truncated UDP answer is retried over TCP"
    );
    assert_eq!(
        answer
            .check(KeyAlgorithm::Rsa, &key.public_key(), Utc::now())
            .status,
        DnsStatus::Valid
    );
}

#[tokio::test]
async fn one_matching_record_among_two_is_valid_and_both_are_seen() {
    let (key, _) = small_keys().await;
    let spf = "v=spf1 include:_spf.example.net -all".to_string();
    let dns = TestDns::start().await;
    dns.set_txt(NAME, vec![vec![spf.clone()], vec![record(key)]]);

    let check =
        resolver(&dns)
            .txt(NAME)
            .await
            .check(KeyAlgorithm::Rsa, &key.public_key(), Utc::now());

    assert_eq!(check.status, DnsStatus::Valid);
    let mut seen = check.seen;
    seen.sort();
    assert_eq!(seen, vec![record(key), spf]);
}

#[tokio::test]
async fn a_record_of_another_key_is_invalid() {
    let (key, other) = small_keys().await;
    let dns = TestDns::start().await;
    dns.set_txt(NAME, vec![vec![record(other)]]);

    let check =
        resolver(&dns)
            .txt(NAME)
            .await
            .check(KeyAlgorithm::Rsa, &key.public_key(), Utc::now());

    assert_eq!(check.status, DnsStatus::Invalid);
    assert_eq!(check.seen, vec![record(other)]);
}

#[tokio::test]
async fn a_revoked_key_is_invalid() {
    let (key, _) = small_keys().await;
    let revoked = "v=DKIM1; k=rsa; p=".to_string();
    let dns = TestDns::start().await;
    dns.set_txt(NAME, vec![vec![revoked.clone()]]);

    let check =
        resolver(&dns)
            .txt(NAME)
            .await
            .check(KeyAlgorithm::Rsa, &key.public_key(), Utc::now());

    assert_eq!(check.status, DnsStatus::Invalid);
    assert_eq!(check.seen, vec![revoked]);
}

#[tokio::test]
async fn a_name_that_does_not_exist_is_invalid() {
    let (key, _) = small_keys().await;
    let dns = TestDns::start().await;
    dns.set_txt("other._domainkey.example.com", vec![vec![record(key)]]);

    let answer = resolver(&dns).txt(NAME).await;

    assert_eq!(answer, TxtAnswer::NoSuchName);
    let check = answer.check(KeyAlgorithm::Rsa, &key.public_key(), Utc::now());
    assert_eq!(check.status, DnsStatus::Invalid);
    assert!(check.seen.is_empty());
}

#[tokio::test]
async fn a_name_without_txt_records_is_invalid() {
    let (key, _) = small_keys().await;
    let dns = TestDns::start().await;
    dns.set_a(NAME, Ipv4Addr::new(192, 0, 2, 1));

    let answer = resolver(&dns).txt(NAME).await;

    assert_eq!(answer, TxtAnswer::NoRecords);
    assert_eq!(
        answer
            .check(KeyAlgorithm::Rsa, &key.public_key(), Utc::now())
            .status,
        DnsStatus::Invalid
    );
}

#[tokio::test]
async fn a_name_that_times_out_is_unknown() {
    let (key, _) = small_keys().await;
    let dns = TestDns::start().await;
    dns.set_timeout(NAME);

    let answer = resolver(&dns).txt(NAME).await;

    assert!(matches!(answer, TxtAnswer::Failed(_)), "got {answer:?}");
    assert_eq!(dns.queries(NAME), 1, "one attempt, as configured");
    let check = answer.check(KeyAlgorithm::Rsa, &key.public_key(), Utc::now());
    assert_eq!(check.status, DnsStatus::Unknown);
    assert!(check.checked_at.is_some());
}

#[tokio::test]
async fn a_server_failure_is_unknown() {
    let (key, _) = small_keys().await;
    let dns = TestDns::start().await;
    dns.set_servfail(NAME);

    let answer = resolver(&dns).txt(NAME).await;

    assert_eq!(
        answer,
        TxtAnswer::Failed("name server answered Server Failure".into())
    );
    assert_eq!(
        answer
            .check(KeyAlgorithm::Rsa, &key.public_key(), Utc::now())
            .status,
        DnsStatus::Unknown
    );
}

#[tokio::test]
async fn each_configured_attempt_is_made_before_giving_up() {
    let dns = TestDns::start().await;
    dns.set_timeout(NAME);
    let dns_lookup = HickoryDns::new(&DnsSettings {
        servers: vec![dns.addr()],
        timeout: Duration::from_millis(200),
        attempts: 3,
    })
    .expect("the resolver builds");

    let answer = dns_lookup.txt(NAME).await;

    assert!(matches!(answer, TxtAnswer::Failed(_)), "got {answer:?}");
    assert_eq!(dns.queries(NAME), 3);
}

#[tokio::test]
async fn a_name_server_that_is_not_there_gives_a_failure() {
    let addr = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|socket| socket.local_addr())
        .expect("a free loopback port");
    let dns = HickoryDns::new(&DnsSettings {
        servers: vec![addr],
        timeout: Duration::from_millis(300),
        attempts: 1,
    })
    .expect("the resolver builds");

    assert!(matches!(dns.txt(NAME).await, TxtAnswer::Failed(_)));
}

#[tokio::test]
async fn names_match_whatever_their_case_or_final_dot() {
    let (key, _) = small_keys().await;
    let dns = TestDns::start().await;
    dns.set_txt("S1._DomainKey.Example.COM.", vec![vec![record(key)]]);

    let answer = resolver(&dns).txt("s1._domainkey.EXAMPLE.com.").await;

    assert_eq!(answer, TxtAnswer::Records(vec![record(key)]));
}

#[tokio::test]
async fn every_lookup_asks_the_server_so_a_change_is_seen_at_once() {
    let (key, other) = small_keys().await;
    let dns = TestDns::start().await;
    let lookup = resolver(&dns);
    dns.set_txt(NAME, vec![vec![record(other)]]);
    assert_eq!(
        lookup.txt(NAME).await,
        TxtAnswer::Records(vec![record(other)])
    );

    dns.set_txt(NAME, vec![vec![record(key)]]);
    assert_eq!(
        lookup.txt(NAME).await,
        TxtAnswer::Records(vec![record(key)])
    );

    dns.clear(NAME);
    assert_eq!(lookup.txt(NAME).await, TxtAnswer::NoSuchName);
    assert_eq!(dns.queries(NAME), 3);
}
