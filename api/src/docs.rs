//! The two dialects', the console's and the fleet feed's OpenAPI
//! documents, and a Swagger UI listing all four.

use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::OpenApi;
use utoipa_swagger_ui::{SwaggerUi, Url};

/// Name of the security scheme added to documents that declare none.
const BASIC_AUTH: &str = "basicAuth";

/// `/openapi/mailgun.json`, `/openapi/greenarrow.json`,
/// `/openapi/console.json`, `/openapi/fleet.json` and the UI at `/docs`, where `/` also leads: a
/// person opening the bare address finds the API.
pub fn router(mailgun: OpenApi, greenarrow: OpenApi, console: OpenApi, fleet: OpenApi) -> Router {
    let ui: Router = SwaggerUi::new("/docs")
        .url(
            Url::with_primary("Mailgun dialect", "/openapi/mailgun.json", true),
            complete(mailgun, "Signet: Mailgun dialect"),
        )
        .url(
            Url::new("GreenArrow dialect", "/openapi/greenarrow.json"),
            complete(greenarrow, "Signet: GreenArrow dialect"),
        )
        // Complete as it is: bearer tokens, never Basic.
        .url(Url::new("Console", "/openapi/console.json"), console)
        .url(Url::new("Fleet key feed", "/openapi/fleet.json"), fleet)
        .into();
    ui.route("/", get(|| async { Redirect::temporary("/docs") }))
}

/// Fills in what a dialect left out: a title, and HTTP Basic auth (the API
/// key as password) as the scheme every operation requires.
fn complete(mut doc: OpenApi, title: &str) -> OpenApi {
    if doc.info.title.is_empty() {
        title.clone_into(&mut doc.info.title);
    }
    let components = doc.components.get_or_insert_with(Default::default);
    let has_basic = components
        .security_schemes
        .values()
        .any(|s| matches!(s, SecurityScheme::Http(http) if http.scheme == HttpAuthScheme::Basic));
    if !has_basic {
        let mut basic = Http::new(HttpAuthScheme::Basic);
        basic.description = Some("Any user name (Mailgun uses `api`); the API key as password. `Authorization: Bearer KEY` works too.".into());
        components.add_security_scheme(BASIC_AUTH, SecurityScheme::Http(basic));
        if doc.security.as_ref().is_none_or(Vec::is_empty) {
            doc.security = Some(vec![SecurityRequirement::new(
                BASIC_AUTH,
                Vec::<String>::new(),
            )]);
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_document_gets_a_title_and_basic_auth() {
        let doc = complete(OpenApi::default(), "T");
        assert_eq!(doc.info.title, "T");
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["openapi"], "3.1.0");
        assert_eq!(
            json["components"]["securitySchemes"][BASIC_AUTH]["scheme"],
            "basic"
        );
        assert!(json["security"][0].get(BASIC_AUTH).is_some());
    }
}
