//! The one OpenAPI completion of the front ends: the failures every
//! operation can answer are declared once as response components, and each
//! operation that does not describe a status itself refers to them, so
//! generated clients parse them instead of giving up. Each front end says
//! which failures, in which shape, on which operations.

use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

use crate::problem::PROBLEM_JSON;

/// One failure: its status, the name of its response component, and the
/// response.
pub struct Failure {
    /// The HTTP status, as the document keys it (`"401"`).
    pub status: &'static str,
    /// The response component's name (`"Unauthorized"`).
    pub name: &'static str,
    /// What the answer looks like.
    pub response: Response,
}

/// Failures, and the operations that can answer them.
pub struct Failures {
    /// The failures.
    pub failures: Vec<Failure>,
    /// Whether the operation with this method can answer them.
    pub on: fn(&HttpMethod, &Operation) -> bool,
}

/// Where the failures' responses are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Once as response components, which operations refer to.
    Components,
    /// Into each operation (a document with one operation needs no components).
    Inline,
}

/// Any operation.
pub fn every(_: &HttpMethod, _: &Operation) -> bool {
    true
}

/// Adds every group's failures to each operation the group applies to,
/// unless it describes the status itself: as references to response
/// components declared once, or inline.
pub fn complete(openapi: &mut OpenApi, groups: &[Failures], placement: Placement) {
    if placement == Placement::Components {
        let components = openapi.components.get_or_insert_with(Default::default);
        for failure in groups.iter().flat_map(|g| &g.failures) {
            components
                .responses
                .insert(failure.name.to_owned(), RefOr::T(failure.response.clone()));
        }
    }
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Patch, &mut item.patch),
            (HttpMethod::Delete, &mut item.delete),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else {
                continue;
            };
            let applicable: Vec<&Failures> = groups
                .iter()
                .filter(|g| (g.on)(&method, operation))
                .collect();
            for group in applicable {
                for failure in &group.failures {
                    operation
                        .responses
                        .responses
                        .entry(failure.status.to_owned())
                        .or_insert_with(|| match placement {
                            Placement::Components => {
                                RefOr::Ref(Ref::from_response_name(failure.name))
                            }
                            Placement::Inline => RefOr::T(failure.response.clone()),
                        });
                }
            }
        }
    }
}

/// `(status, component name, description)` as problem documents, each
/// described as `"<status>: <description>"`.
pub fn problems(failures: &[(&'static str, &'static str, &'static str)]) -> Vec<Failure> {
    failures
        .iter()
        .map(|&(status, name, description)| Failure {
            status,
            name,
            response: ResponseBuilder::new()
                .description(format!("{status}: {description}"))
                .content(
                    PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ProblemDetails")))
                        .build(),
                )
                .build(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use utoipa::openapi::path::{OperationBuilder, PathItem};
    use utoipa::openapi::{OpenApiBuilder, PathsBuilder};

    use super::*;

    #[test]
    fn a_failure_is_declared_once_and_referred_to_unless_the_operation_describes_it() {
        let described = ResponseBuilder::new().description("its own").build();
        let get = OperationBuilder::new().response("404", described).build();
        let post = OperationBuilder::new().build();
        let mut item = PathItem::new(HttpMethod::Get, get);
        item.post = Some(post);
        let mut doc = OpenApiBuilder::new()
            .paths(PathsBuilder::new().path("/x", item))
            .build();
        let only_posts = |method: &HttpMethod, _: &Operation| *method == HttpMethod::Post;
        complete(
            &mut doc,
            &[
                Failures {
                    failures: problems(&[("404", "NotFound", "nothing there")]),
                    on: every,
                },
                Failures {
                    failures: problems(&[("413", "PayloadTooLarge", "too big")]),
                    on: only_posts,
                },
            ],
            Placement::Components,
        );
        let json = serde_json::to_value(&doc).unwrap();
        let x = &json["paths"]["/x"];
        assert_eq!(x["get"]["responses"]["404"]["description"], "its own");
        assert!(x["get"]["responses"]["413"].is_null());
        assert_eq!(
            x["post"]["responses"]["404"]["$ref"],
            "#/components/responses/NotFound"
        );
        assert_eq!(
            x["post"]["responses"]["413"]["$ref"],
            "#/components/responses/PayloadTooLarge"
        );
        let not_found = &json["components"]["responses"]["NotFound"];
        assert_eq!(not_found["description"], "404: nothing there");
        assert!(not_found["content"][PROBLEM_JSON].is_object());
    }

    #[test]
    fn inline_failures_declare_no_components() {
        let item = PathItem::new(HttpMethod::Get, OperationBuilder::new().build());
        let mut doc = OpenApiBuilder::new()
            .paths(PathsBuilder::new().path("/x", item))
            .build();
        let failures = Failures {
            failures: problems(&[("401", "Unauthorized", "no token")]),
            on: every,
        };
        complete(&mut doc, &[failures], Placement::Inline);
        let json = serde_json::to_value(&doc).unwrap();
        let unauthorized = &json["paths"]["/x"]["get"]["responses"]["401"];
        assert_eq!(unauthorized["description"], "401: no token");
        assert!(json["components"]["responses"].is_null());
    }
}
