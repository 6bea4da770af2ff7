//! `/api/docs`: the API's description (`/api/v1/openapi.json`) as a page people read — every
//! operation by topic with its parameters, body and answers, then every schema. Rendered on the
//! server from the same description, so it cannot drift from it; no script, nothing fetched.

use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde_json::Value;

use crate::http::api_doc;

const METHODS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];

pub async fn api_docs() -> Response {
    let doc = serde_json::to_value(api_doc::description()).unwrap_or(Value::Null);
    let tags: Vec<(&str, &str)> = doc["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| {
                    (
                        t["name"].as_str().unwrap_or(""),
                        t["description"].as_str().unwrap_or(""),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let operations: Vec<(&str, &str, &Value)> = doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter_map(move |m| item.get(*m).map(|op| (*m, path.as_str(), op)))
        })
        .collect();
    super::document(
        "Offbeat API",
        None,
        super::Chrome::Site,
        html! {},
        &[],
        html! {
            main.api-docs #content {
                p { a href="/api/v1/openapi.json" { "openapi.json" } }
                h1 { "Offbeat API" }
                p { (doc["info"]["description"].as_str().unwrap_or_default()) }
                p { "Errors are " code { "{\"error\": {\"code\", \"message\"}}" } " with the status that says what kind." }
                @for (tag, about) in &tags {
                    section aria-labelledby={ "tag-" (tag) } {
                        h2 #{ "tag-" (tag) } { (tag) }
                        p { (about) }
                        @for (method, path, op) in operations.iter().filter(|(_, _, op)| op["tags"][0] == *tag) {
                            (operation(method, path, op))
                        }
                    }
                }
                section aria-labelledby="schemas" {
                    h2 #schemas { "Schemas" }
                    @for (name, schema) in doc["components"]["schemas"].as_object().into_iter().flatten() {
                        (schema_markup(name, schema))
                    }
                }
            }
        },
    )
    .into_response()
}

fn operation(method: &str, path: &str, op: &Value) -> Markup {
    html! {
        article.operation {
            h3 { code { (method.to_uppercase()) " " (path) } }
            @if let Some(summary) = op["summary"].as_str() { p { (summary) } }
            @if let Some(params) = op["parameters"].as_array() {
                table {
                    caption.visually-hidden { "Parameters" }
                    thead { tr { th scope="col" { "Parameter" } th scope="col" { "In" } th scope="col" { "Required" } th scope="col" { "What" } } }
                    tbody {
                        @for p in params {
                            tr {
                                td { code { (p["name"].as_str().unwrap_or_default()) } }
                                td { (p["in"].as_str().unwrap_or_default()) }
                                td { @if p["required"] == true { "yes" } @else { "no" } }
                                td { (p["description"].as_str().unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
            @if let Some(content) = op["requestBody"]["content"].as_object() {
                p {
                    "Body: "
                    @for (kind, media) in content { code { (kind) } " " (schema_name(&media["schema"])) " " }
                    @if let Some(about) = op["requestBody"]["description"].as_str() { "— " (about) }
                }
            }
            ul {
                @for (status, answer) in op["responses"].as_object().into_iter().flatten() {
                    li {
                        strong { (status) } " "
                        (answer["description"].as_str().unwrap_or_default())
                        @for (kind, media) in answer["content"].as_object().into_iter().flatten() {
                            " (" code { (kind) } " " (schema_name(&media["schema"])) ")"
                        }
                    }
                }
            }
        }
    }
}

fn schema_markup(name: &str, schema: &Value) -> Markup {
    html! {
        article.schema #{ "schema-" (name) } {
            h3 { (name) }
            @if let Some(about) = schema["description"].as_str() { p { (about) } }
            @if let Some(values) = schema["enum"].as_array() {
                p { "One of: " @for v in values { code { (v.as_str().unwrap_or_default()) } " " } }
            }
            @if let Some(properties) = schema["properties"].as_object() {
                dl {
                    @for (field, spec) in properties {
                        dt { code { (field) } " " (schema_name(spec)) }
                        @if let Some(about) = spec["description"].as_str() { dd { (about) } }
                    }
                }
            }
        }
    }
}

/// A schema as people name it: a link to a named one, or its type.
fn schema_name(schema: &Value) -> Markup {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return html! { a href={ "#schema-" (name) } { (name) } };
    }
    if schema["type"] == "array" {
        return html! { "[" (schema_name(&schema["items"])) "]" };
    }
    if let Some(options) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        return html! { @for (i, o) in options.iter().enumerate() { @if i > 0 { " | " } (schema_name(o)) } };
    }
    match &schema["type"] {
        Value::String(t) => html! { (t) },
        Value::Array(types) => html! { (types.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | ")) },
        _ => html! { "any" },
    }
}
