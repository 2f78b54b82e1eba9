//! Extractors whose every rejection is a [`GreenArrowError`], so even a malformed
//! request is answered in the envelope.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::de::DeserializeOwned;
use signet_domain::excerpt::scrub;
use signet_domain::{Actor, Authentication, KeyId, Origin, Tenant, Via};

use crate::error::{ErrorCode, GreenArrowError};

/// The tenant the api's auth layer authenticated, and where its changes come
/// from for the audit trail.
#[derive(Debug, Clone)]
pub struct Caller(pub Tenant, pub Origin);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = GreenArrowError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = Extension::<Authentication>::from_request_parts(parts, state)
            .await
            .map(|Extension(auth)| auth)
            .unwrap_or(Authentication::Rejected);
        match auth {
            Authentication::Authenticated(tenant) => {
                // The auth layer names the API key with the tenant; without
                // it the change could not be attributed.
                let actor = parts
                    .extensions
                    .get::<Actor>()
                    .cloned()
                    .ok_or_else(GreenArrowError::unauthorized)?;
                Ok(Self(
                    tenant,
                    signet_http_kit::origin(parts, actor, Via::GreenArrow),
                ))
            }
            Authentication::Rejected => Err(GreenArrowError::unauthorized()),
            Authentication::Unavailable => Err(GreenArrowError::unavailable()),
        }
    }
}

/// A JSON body. Syntax errors, wrong types, unknown fields and a missing body
/// are `invalid_request` (400); a wrong content type keeps its 415. serde's
/// message quotes field names and values the client sent, so it is scrubbed.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = GreenArrowError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_error(&rejection)),
        }
    }
}

fn json_error(rejection: &JsonRejection) -> GreenArrowError {
    let message = match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "the request body must be JSON, sent with Content-Type: application/json".to_owned()
        }
        other => scrub(&other.body_text()),
    };
    let status = match rejection.status() {
        StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
        other => other,
    };
    match status {
        StatusCode::BAD_REQUEST => GreenArrowError::invalid_request(message),
        other => GreenArrowError::new(other, ErrorCode::InvalidRequest, vec![message]),
    }
}

/// A query string; anything it cannot hold is `invalid_request`.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T, S> FromRequestParts<S> for QueryParams<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = GreenArrowError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|rejection| GreenArrowError::invalid_request(scrub(&rejection.body_text())))
    }
}

/// The `{id}` of a key's path. An id that is not an integer names no key, so
/// it is `not_found` like any unknown id.
#[derive(Debug, Clone, Copy)]
pub struct KeyIdPath(pub KeyId);

impl<S: Send + Sync> FromRequestParts<S> for KeyIdPath {
    type Rejection = GreenArrowError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| GreenArrowError::key_not_found())?;
        raw.parse::<i64>()
            .map(|id| Self(KeyId(id)))
            .map_err(|_| GreenArrowError::key_not_found())
    }
}
