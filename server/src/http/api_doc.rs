//! The API's contract: an OpenAPI 3.1 description generated from the routes' own annotations
//! (utoipa), served at `/api/v1/openapi.json` and read by people at `/api/docs`.

use axum::Json;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

/// Every error the API answers: `{"error": {"code", "message"}}`.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// What went wrong: a stable code for programs, a sentence for people.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// `bad_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`, `gone`,
    /// `too_many_requests`, `too_many_open`, `too_large`, `unsupported_media`, `unprocessable`,
    /// `range_not_satisfiable`, `transcript_not_ready`, `insufficient_storage`,
    /// `storage_unavailable`, `internal`…
    code: String,
    message: String,
}

/// The clip a route is about.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct ClipId {
    /// The clip's id.
    id: String,
}

/// How someone without an account reaches what a share link opens: every clip route that a
/// link's holder may use takes it.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ShareToken {
    /// A share link's token: how someone without an account reaches what the link opens.
    share: Option<String>,
}

/// What any operation may answer besides its success: the JSON error shape, with a 4xx when
/// the request is refused and a 5xx when the server fails.
#[derive(Debug, utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Failures {
    /// Refused; the error says why.
    #[response(status = "4XX")]
    Refused(#[to_schema] ErrorBody),
    /// The server, its database or its storage failed.
    #[response(status = "5XX")]
    Failed(#[to_schema] ErrorBody),
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Offbeat",
        description = "Async voice and video messages: clips, their transcripts and threads, sharing, the team. \
            Sign in with `POST /api/v1/auth/login` (`kind: api`) and send the token as `Authorization: Bearer …`; \
            a browser's session cookie needs `X-CSRF-Token` on writes.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&Security),
    components(schemas(ErrorBody, ErrorDetail, crate::http::api::uploads::TusResumable)),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "clips", description = "Messages: upload, read, play, rename, delete"),
        (name = "uploads", description = "Resumable uploads (tus 1.0): takes sent while they are recorded"),
        (name = "transcripts", description = "What was said, with timestamps"),
        (name = "summaries", description = "Summaries, chapters and action items, written on this server"),
        (name = "threads", description = "Replies by voice, video or text; receipts; the inbox"),
        (name = "sharing", description = "Who may open a clip: the team, or anyone with the link"),
        (name = "search", description = "Titles and transcripts"),
        (name = "accounts", description = "Signing in, tokens, my profile"),
        (name = "team", description = "Members, their hours, invitations"),
        (name = "notifications", description = "Email choices and webhooks"),
        (name = "checkins", description = "Check-ins: the stand-up asked at each person's own morning, answered by voice, video or text"),
        (name = "operations", description = "Health"),
    )
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))),
        );
    }
}

/// The description, built once from the routes' own registrations (`http/mod.rs`).
pub fn description() -> &'static utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let (_, paths) = super::json_routes().merge(super::upload_routes()).split_for_parts();
        let mut doc = ApiDoc::openapi();
        doc.merge(paths);
        tidy(&mut doc);
        doc
    })
}

/// What people may call without signing in: nothing but these.
const PUBLIC: [(&str, &str); 8] = [
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/recorder-token"),
    ("post", "/api/v1/invites/accept"),
    ("get", "/api/v1/shared/{token}"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("options", "/api/v1/uploads"),
];

/// What the annotations leave for the whole description to settle, so it is valid OpenAPI 3.1
/// (`openapi-spec-validator`) and tools can chain its operations (schemathesis' stateful
/// phase): every response has a description; operation ids are unique (a handler's name,
/// prefixed with its tag where two share one, e.g. `clips_list`, `webhooks_list`); each
/// parameter is listed once; and who
/// needs no sign-in says so — `security: []` for the public operations, an anonymous
/// alternative (`{}`) for those a share link's `share` token opens.
fn tidy(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::security::SecurityRequirement;

    let mut names: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for item in doc.paths.paths.values() {
        for (_, operation) in operations(item) {
            if let Some(id) = &operation.operation_id {
                *names.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, operation) in operations_mut(item) {
            if let Some(id) = &operation.operation_id
                && names.get(id).is_some_and(|&n| n > 1)
                && let Some(tag) = operation.tags.as_ref().and_then(|t| t.first())
            {
                operation.operation_id = Some(format!("{tag}_{id}"));
            }
            for (status, response) in operation.responses.responses.iter_mut() {
                if let RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    response.description = status
                        .parse::<u16>()
                        .ok()
                        .and_then(|code| axum::http::StatusCode::from_u16(code).ok())
                        .and_then(|code| code.canonical_reason())
                        .unwrap_or("The answer")
                        .to_owned();
                }
            }
            // A path parameter described (`ClipId`…) and also taken from the handler's `Path`
            // extractor appears twice: the described one stays.
            if let Some(parameters) = &mut operation.parameters {
                let mut seen = std::collections::HashSet::new();
                parameters.sort_by_key(|parameter| match parameter {
                    RefOr::T(p) => p.description.is_none(),
                    RefOr::Ref(_) => false,
                });
                parameters.retain(|parameter| match parameter {
                    RefOr::T(p) => seen.insert((
                        p.name.clone(),
                        serde_json::to_string(&p.parameter_in).unwrap_or_default(),
                    )),
                    RefOr::Ref(_) => true,
                });
            }
            let by_link = operation
                .parameters
                .iter()
                .flatten()
                .any(|parameter| matches!(parameter, RefOr::T(p) if p.name == "share"));
            if PUBLIC.contains(&(method, path.as_str())) {
                operation.security = Some(Vec::new());
            } else if by_link {
                operation.security = Some(vec![
                    SecurityRequirement::new("bearer", Vec::<String>::new()),
                    SecurityRequirement::new("session", Vec::<String>::new()),
                    SecurityRequirement::default(),
                ]);
            }
        }
    }
}

/// A path's operations, by method.
fn operations(item: &utoipa::openapi::PathItem) -> Vec<(&'static str, &utoipa::openapi::path::Operation)> {
    [
        ("get", &item.get),
        ("put", &item.put),
        ("post", &item.post),
        ("delete", &item.delete),
        ("options", &item.options),
        ("head", &item.head),
        ("patch", &item.patch),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_ref().map(|o| (method, o)))
    .collect()
}

fn operations_mut(item: &mut utoipa::openapi::PathItem) -> Vec<(&'static str, &mut utoipa::openapi::path::Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("options", &mut item.options),
        ("head", &mut item.head),
        ("patch", &mut item.patch),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_mut().map(|o| (method, o)))
    .collect()
}

/// `GET /api/v1/openapi.json`.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "operations",
    summary = "This description",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 description of this API", content_type = "application/json"))
)]
pub async fn json() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(description())
}
