//! Paging of the list: by number (`page`, an offset) or by token
//! (`page_token`, a keyset cursor, so following tokens through a list that
//! changes underneath never skips or repeats a key).

use serde::{Deserialize, Serialize};
use signet_domain::{cursor, DomainName, KeyId, PageStart};
use utoipa::IntoParams;

use crate::error::GreenArrowError;

/// Records a page when `per_page` is not given.
pub const DEFAULT_PER_PAGE: u64 = 100;
/// The largest `per_page` accepted.
pub const MAX_PER_PAGE: u64 = 2000;
/// The largest `page` accepted: any page of any size starts at an offset a
/// database can count to (`i64`). The document says the same.
pub const MAX_PAGE: u64 = i64::MAX as u64 / MAX_PER_PAGE;

/// Query parameters of the list. Empty values count as absent.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The page number to retrieve, from 0. Not with `page_token`.
    #[param(value_type = Option<u64>, minimum = 0, maximum = 4611686018427387_f64)]
    page: Option<String>,
    /// The `next_page_token` of the previous page, as given. Not with `page`.
    #[param(max_length = 512, pattern = r"^[A-Za-z0-9_-]*$")]
    page_token: Option<String>,
    /// Records a page, 1 to 2000 (default 100). With `page_token`, it must
    /// match the token's, or be left out.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 2000)]
    per_page: Option<String>,
    /// Only keys of this domain (case-insensitive). With `page_token`, it must
    /// match the token's, or be left out.
    #[param(
        max_length = 200,
        pattern = r"^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)?$"
    )]
    domain: Option<String>,
}

/// One page to fetch.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    /// The number the page reports.
    pub page: u64,
    /// Records a page.
    pub per_page: u64,
    /// Only keys of this domain.
    pub domain: Option<DomainName>,
    /// Where the page starts.
    pub start: PageStart,
}

fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

impl TryFrom<ListParams> for Plan {
    type Error = GreenArrowError;

    fn try_from(params: ListParams) -> Result<Self, GreenArrowError> {
        let page = given(params.page)
            .map(|p| {
                p.parse::<u64>()
                    .ok()
                    .filter(|p| *p <= MAX_PAGE)
                    .ok_or_else(|| {
                        GreenArrowError::invalid_request(format!(
                            "page must be an integer from 0 to {MAX_PAGE}"
                        ))
                    })
            })
            .transpose()?;
        let per_page = given(params.per_page).map(parse_per_page).transpose()?;
        let domain = given(params.domain)
            .map(|d| {
                DomainName::parse(&d)
                    .map_err(|e| GreenArrowError::invalid_request(format!("domain {e}")))
            })
            .transpose()?;
        match given(params.page_token) {
            Some(_) if page.is_some() => Err(GreenArrowError::invalid_request(
                "page and page_token may not be given together",
            )),
            Some(token) => {
                let token = PageToken::decode(&token)?;
                if per_page.is_some_and(|n| n != token.per_page) {
                    return Err(GreenArrowError::invalid_request(
                        "per_page must match the page_token's, or be left out",
                    ));
                }
                if domain
                    .as_ref()
                    .is_some_and(|d| Some(d) != token.domain.as_ref())
                {
                    return Err(GreenArrowError::invalid_request(
                        "domain must match the page_token's, or be left out",
                    ));
                }
                Ok(Self {
                    page: token.page,
                    per_page: token.per_page,
                    domain: token.domain,
                    start: PageStart::After(token.after),
                })
            }
            None => {
                let page = page.unwrap_or(0);
                let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
                // Bounded by MAX_PAGE and MAX_PER_PAGE: fits the i64 databases count in.
                let offset = page * per_page;
                Ok(Self {
                    page,
                    per_page,
                    domain,
                    start: PageStart::Offset(offset),
                })
            }
        }
    }
}

fn parse_per_page(raw: String) -> Result<u64, GreenArrowError> {
    match raw.parse::<u64>() {
        Ok(n) if n > MAX_PER_PAGE => Err(GreenArrowError::requested_too_many(format!(
            "per_page must be at most {MAX_PER_PAGE}"
        ))),
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(GreenArrowError::invalid_request(format!(
            "per_page must be an integer from 1 to {MAX_PER_PAGE}"
        ))),
    }
}

impl Plan {
    /// The token of the page after this one, which ends with `last`.
    pub fn next_token(&self, last: KeyId) -> String {
        PageToken {
            after: last,
            page: self.page.saturating_add(1),
            per_page: self.per_page,
            domain: self.domain.clone(),
        }
        .encode()
    }
}

/// Where the next page starts and what the walk is over.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PageToken {
    /// The next page holds the keys with ids above this one.
    pub after: KeyId,
    /// The number the next page reports.
    pub page: u64,
    /// Records a page.
    pub per_page: u64,
    /// The `domain` filter of the walk.
    pub domain: Option<DomainName>,
}

/// The token's serialized form: short keys keep the token short.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    a: i64,
    p: u64,
    n: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    d: Option<String>,
}

impl PageToken {
    /// The opaque string handed to clients: base64url of a small JSON object.
    pub fn encode(&self) -> String {
        let wire = Wire {
            a: self.after.0,
            p: self.page,
            n: self.per_page,
            d: self.domain.as_ref().map(ToString::to_string),
        };
        cursor::encode(&wire)
    }

    /// Reads a token; anything this module did not write is `invalid_request`.
    pub fn decode(token: &str) -> Result<Self, GreenArrowError> {
        let invalid = || GreenArrowError::invalid_request("page_token is not valid");
        let wire: Wire = cursor::decode(token).ok_or_else(invalid)?;
        let domain = wire
            .d
            .map(|d| DomainName::parse(&d))
            .transpose()
            .map_err(|_| invalid())?;
        // A forged token must not buy a page larger than `per_page` allows.
        if !(1..=MAX_PER_PAGE).contains(&wire.n) {
            return Err(invalid());
        }
        Ok(Self {
            after: KeyId(wire.a),
            page: wire.p,
            per_page: wire.n,
            domain,
        })
    }
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    use super::*;

    #[test]
    fn a_token_round_trips() {
        let token = PageToken {
            after: KeyId(42),
            page: 3,
            per_page: 100,
            domain: Some(DomainName::parse("example.com").unwrap()),
        };
        let encoded = token.encode();
        assert!(encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(PageToken::decode(&encoded).unwrap(), token);
    }

    #[test]
    fn a_forged_token_cannot_ask_for_huge_pages() {
        for n in [0, MAX_PER_PAGE + 1, u64::MAX] {
            let json = format!(r#"{{"a":0,"p":0,"n":{n}}}"#);
            assert!(
                PageToken::decode(&URL_SAFE_NO_PAD.encode(json)).is_err(),
                "{n}"
            );
        }
    }

    #[test]
    fn garbage_is_not_a_token() {
        for bad in [
            "",
            "!!!",
            "e30",
            "eyJhIjoxfQ",
            &URL_SAFE_NO_PAD.encode(b"{\"a\":1,\"p\":1,\"n\":0}"),
        ] {
            assert!(PageToken::decode(bad).is_err(), "{bad}");
        }
    }

    fn params(pairs: &[(&str, &str)]) -> ListParams {
        let mut p = ListParams::default();
        for (k, v) in pairs {
            let v = Some((*v).to_owned());
            match *k {
                "page" => p.page = v,
                "page_token" => p.page_token = v,
                "per_page" => p.per_page = v,
                "domain" => p.domain = v,
                _ => unreachable!(),
            }
        }
        p
    }

    #[test]
    fn no_parameters_mean_the_first_hundred() {
        let plan = Plan::try_from(params(&[])).unwrap();
        assert_eq!(plan.start, PageStart::Offset(0));
        assert_eq!((plan.page, plan.per_page), (0, 100));
    }

    #[test]
    fn a_page_number_is_an_offset() {
        let plan = Plan::try_from(params(&[("page", "3"), ("per_page", "25")])).unwrap();
        assert_eq!(plan.start, PageStart::Offset(75));
    }

    #[test]
    fn a_token_carries_its_walk() {
        let token = PageToken {
            after: KeyId(9),
            page: 2,
            per_page: 5,
            domain: Some(DomainName::parse("example.com").unwrap()),
        }
        .encode();
        let plan =
            Plan::try_from(params(&[("page_token", &token), ("domain", "EXAMPLE.com")])).unwrap();
        assert_eq!(plan.start, PageStart::After(KeyId(9)));
        assert_eq!((plan.page, plan.per_page), (2, 5));
        assert!(Plan::try_from(params(&[("page_token", &token), ("per_page", "6")])).is_err());
        assert!(Plan::try_from(params(&[("page_token", &token), ("page", "1")])).is_err());
    }

    #[test]
    fn per_page_is_bounded() {
        assert!(Plan::try_from(params(&[("per_page", "2000")])).is_ok());
        let too_many = Plan::try_from(params(&[("per_page", "2001")])).unwrap_err();
        assert_eq!(too_many.code().as_str(), "requested_too_many");
        for bad in ["0", "-1", "x"] {
            let e = Plan::try_from(params(&[("per_page", bad)])).unwrap_err();
            assert_eq!(e.code().as_str(), "invalid_request");
        }
    }
}
