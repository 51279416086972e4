//! Every response a test receives through `Call::send` is checked against
//! `openapi/openapi.json`: its status must be documented for the operation, and its body must
//! match the documented schema. So the document cannot drift from what the server answers in
//! shape, not only in routes. (OpenAPI 3.0's `nullable` is turned into JSON Schema's
//! `"null"` type; the rest is JSON Schema draft 4, which OpenAPI 3.0 follows.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Map, Value};

/// The document, as the repository holds it.
fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/openapi.json");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
    })
}

/// OpenAPI 3.0 schema → JSON Schema: `nullable: true` admits null.
fn convert(schema: &Value) -> Value {
    match schema {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                match k.as_str() {
                    "nullable" | "example" | "xml" | "discriminator" | "readOnly" | "writeOnly" | "deprecated" => {}
                    "properties" => {
                        let props =
                            v.as_object().map(|p| p.iter().map(|(name, s)| (name.clone(), convert(s))).collect()).unwrap_or_default();
                        out.insert(k.clone(), Value::Object(props));
                    }
                    _ => {
                        out.insert(k.clone(), convert(v));
                    }
                }
            }
            if m.get("nullable") == Some(&Value::Bool(true)) {
                match out.get("type").and_then(Value::as_str).map(str::to_string) {
                    Some(t) => {
                        out.insert("type".into(), json!([t, "null"]));
                        if let Some(Value::Array(values)) = out.get_mut("enum") {
                            values.push(Value::Null);
                        }
                    }
                    None => return json!({ "anyOf": [Value::Object(out), { "type": "null" }] }),
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(convert).collect()),
        other => other.clone(),
    }
}

/// The documented path template that `path` (no query) instantiates: the one with the most
/// literal segments, as a router would pick.
fn template_of(path: &str) -> Option<&'static str> {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let paths = document()["paths"].as_object()?;
    paths
        .keys()
        .filter_map(|t| {
            let segs: Vec<&str> = t.split('/').collect();
            if segs.len() != parts.len() {
                return None;
            }
            let mut literal = 0;
            for (s, p) in segs.iter().zip(&parts) {
                if s.starts_with('{') && s.ends_with('}') {
                    if p.is_empty() {
                        return None;
                    }
                } else if s == p {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, t.as_str()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, t)| t)
}

type Validators = Mutex<HashMap<String, Option<Arc<jsonschema::Validator>>>>;

/// The validator of one documented response (None: the response documents no JSON body).
fn validator(template: &str, method: &str, status: &str, response: &Value) -> Result<Option<Arc<jsonschema::Validator>>, String> {
    static CACHE: OnceLock<Validators> = OnceLock::new();
    let key = format!("{method} {template} {status}");
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().map_err(|e| e.to_string())?.get(&key) {
        return Ok(v.clone());
    }
    let built = match response.pointer("/content/application~1json/schema") {
        None => None,
        Some(schema) => {
            let mut root = match convert(schema) {
                Value::Object(m) => m,
                other => Map::from_iter([("allOf".to_string(), json!([other]))]),
            };
            root.insert("components".into(), json!({ "schemas": convert(&document()["components"]["schemas"]) }));
            let v = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft4)
                .build(&Value::Object(root))
                .map_err(|e| format!("{key}: the documented schema does not compile: {e}"))?;
            Some(Arc::new(v))
        }
    };
    cache.lock().map_err(|e| e.to_string())?.insert(key, built.clone());
    Ok(built)
}

/// Checks one response against the document. Paths the document does not name (an unknown
/// route, say) are not checked here: `tests/api/openapi.rs` keeps routes and document equal.
pub fn check(method: &str, path: &str, status: u16, body: &Value) -> Result<(), String> {
    let path = path.split('?').next().unwrap_or_default();
    let Some(template) = template_of(path) else { return Ok(()) };
    let method = method.to_lowercase();
    let Some(op) = document()["paths"][template].get(&method) else { return Ok(()) };
    let code = status.to_string();
    let Some(response) = op["responses"].get(&code).or_else(|| op["responses"].get("default")) else {
        return Err(format!("{} {template} answered {status}, which the document does not list: {body}", method.to_uppercase()));
    };
    let Some(v) = validator(template, &method, &code, response)? else { return Ok(()) };
    let errors: Vec<String> = v.iter_errors(body).take(10).map(|e| format!("at {}: {e}", e.instance_path())).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        let shown = body.to_string();
        let shown = if shown.len() > 600 { format!("{}…", &shown[..shown.floor_char_boundary(600)]) } else { shown };
        Err(format!("{} {template} {status} does not match the document: {}; body: {shown}", method.to_uppercase(), errors.join("; ")))
    }
}

/// Checks that a response that is not JSON (a CSV download) is documented with its media type.
pub fn check_media(method: &str, path: &str, status: u16, media: &str) -> Result<(), String> {
    let path = path.split('?').next().unwrap_or_default();
    let Some(template) = template_of(path) else { return Ok(()) };
    let method = method.to_lowercase();
    let Some(op) = document()["paths"][template].get(&method) else { return Ok(()) };
    let essence = media.split(';').next().unwrap_or_default().trim();
    let documented = op["responses"][status.to_string()]["content"].as_object().is_some_and(|c| c.contains_key(essence));
    if documented {
        Ok(())
    } else {
        Err(format!("{} {template} answered {status} as {essence}, which the document does not list", method.to_uppercase()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shape_the_document_does_not_describe_fails() {
        let path = "/api/v1/accounts/1/labels";
        let good = json!({ "payload": [{ "id": 1, "title": "vip", "description": null, "color": "#1f93ff", "show_on_sidebar": true }] });
        assert_eq!(check("GET", path, 200, &good), Ok(()));
        let not_a_list = json!({ "payload": { "id": 1 } });
        assert!(check("GET", path, 200, &not_a_list).unwrap_err().contains("does not match"));
        let string_id = json!({ "payload": [{ "id": "1", "title": "vip" }] });
        assert!(check("GET", path, 200, &string_id).is_err());
        let null_title = json!({ "payload": [{ "id": 1, "title": null }] });
        assert!(check("GET", path, 200, &null_title).is_err(), "title is not nullable");
    }

    #[test]
    fn an_undocumented_status_fails() {
        let err = check("GET", "/api/v1/accounts/1/labels", 418, &json!({})).unwrap_err();
        assert!(err.contains("does not list"), "{err}");
    }

    #[test]
    fn the_most_literal_template_is_chosen() {
        assert_eq!(template_of("/api/v1/accounts/1/conversations/meta"), Some("/api/v1/accounts/{account_id}/conversations/meta"));
        assert_eq!(
            template_of("/api/v1/accounts/1/conversations/7"),
            Some("/api/v1/accounts/{account_id}/conversations/{conversation_id}")
        );
        assert_eq!(template_of("/nowhere"), None);
    }
}
