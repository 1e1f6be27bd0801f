//! Validation of JSON bodies against the schemas of Meta's OpenAPI description (the Block
//! Users part of its v23.0 file, kept in the repository at
//! `tests/openapi/meta-block-users.openapi.yaml`). Enabled by the cargo feature `schema-check`.
//!
//! The validator covers the subset of JSON Schema / OpenAPI 3 that the file uses for the
//! Block Users API: `type` (string or list), `nullable`, `properties`, `required`,
//! `additionalProperties`, `items`, `minItems`/`maxItems`, `minLength`/`maxLength`, `enum`,
//! `$ref` (local `#/...` pointers), `allOf`, `oneOf`, `anyOf`. `pattern` and `format` are
//! not checked.
//!
//! ```no_run
//! use wablock_sandbox::openapi_check::OpenApi;
//!
//! let api = OpenApi::load_default()?;
//! let body = serde_json::json!({"messaging_product": "whatsapp",
//!     "block_users": {"added_users": [{"input": "+16505551234", "wa_id": "16505551234"}]}});
//! api.validate_schema("BlockUsersData", &body)?;
//! api.validate_request_body("/{Version}/{Phone-Number-ID}/block_users", "post",
//!     &serde_json::json!({"messaging_product": "whatsapp", "block_users": [{"user": "+1650"}]}))?;
//! # Ok::<(), String>(())
//! ```

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The file name of the Block Users part of Meta's OpenAPI description, in [`openapi_dir`].
pub const META_OPENAPI_FILE: &str = "meta-block-users.openapi.yaml";
/// The OpenAPI path of the Block Users endpoints.
pub const BLOCK_USERS_PATH: &str = "/{Version}/{Phone-Number-ID}/block_users";

/// The repository's `tests/openapi` folder, which holds [`META_OPENAPI_FILE`] and its MIT
/// notice. Found from this crate's own source tree, so it works from any clone.
pub fn openapi_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("..")
        .join("tests")
        .join("openapi")
}

/// A loaded OpenAPI document (converted to JSON).
#[derive(Debug, Clone)]
pub struct OpenApi {
    doc: Value,
}

impl OpenApi {
    /// Loads the Block Users part of Meta's OpenAPI description from [`openapi_dir`].
    pub fn load_default() -> Result<OpenApi, String> {
        OpenApi::load(&openapi_dir().join(META_OPENAPI_FILE))
    }

    /// Loads an OpenAPI document from a YAML (or JSON) file.
    pub fn load(path: &Path) -> Result<OpenApi, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        OpenApi::from_yaml(&text)
    }

    /// Parses an OpenAPI document from YAML (or JSON) text.
    pub fn from_yaml(text: &str) -> Result<OpenApi, String> {
        let yaml: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(text).map_err(|e| format!("bad YAML: {e}"))?;
        Ok(OpenApi {
            doc: yaml_to_json(yaml),
        })
    }

    /// The whole document as JSON.
    pub fn document(&self) -> &Value {
        &self.doc
    }

    /// The schema `#/components/schemas/{name}`.
    pub fn schema(&self, name: &str) -> Option<&Value> {
        self.doc.get("components")?.get("schemas")?.get(name)
    }

    /// Validates `value` against `#/components/schemas/{name}`. The error lists every
    /// violation, one per line, each with its JSON path.
    pub fn validate_schema(&self, name: &str, value: &Value) -> Result<(), String> {
        let schema = self
            .schema(name)
            .ok_or_else(|| format!("no schema named {name}"))?;
        self.validate_with(schema, value)
    }

    /// Validates `value` against any schema object (its `$ref`s resolve in this document).
    pub fn validate_with(&self, schema: &Value, value: &Value) -> Result<(), String> {
        let mut errors = Vec::new();
        validate(&self.doc, schema, value, "$", &mut errors, 0);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n"))
        }
    }

    /// The `application/json` request body schema of `method` (lower case, e.g. `post`) on
    /// `path` (an OpenAPI path such as [`BLOCK_USERS_PATH`]).
    pub fn request_body_schema(&self, path: &str, method: &str) -> Option<&Value> {
        let op = self.doc.get("paths")?.get(path)?.get(method)?;
        let body = self.resolve(op.get("requestBody")?)?;
        body.get("content")?.get("application/json")?.get("schema")
    }

    /// Validates a request body against the `requestBody` schema of `method` on `path`.
    pub fn validate_request_body(
        &self,
        path: &str,
        method: &str,
        value: &Value,
    ) -> Result<(), String> {
        let schema = self
            .request_body_schema(path, &method.to_ascii_lowercase())
            .ok_or_else(|| format!("no JSON request body for {method} {path}"))?;
        self.validate_with(schema, value)
    }

    /// The `application/json` response schema for `status` (or `default`) of `method` on
    /// `path`, following `$ref`s into `#/components/responses`.
    pub fn response_schema(&self, path: &str, method: &str, status: u16) -> Option<&Value> {
        let responses = self
            .doc
            .get("paths")?
            .get(path)?
            .get(method)?
            .get("responses")?;
        let resp = responses
            .get(status.to_string())
            .or_else(|| responses.get("default"))?;
        let resp = self.resolve(resp)?;
        resp.get("content")?.get("application/json")?.get("schema")
    }

    /// Follows `$ref`s until a non-reference object.
    fn resolve<'a>(&'a self, mut v: &'a Value) -> Option<&'a Value> {
        for _ in 0..32 {
            match v.get("$ref").and_then(Value::as_str) {
                Some(r) => v = lookup(&self.doc, r)?,
                None => return Some(v),
            }
        }
        None
    }
}

fn yaml_to_json(y: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match y {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(seq) => Value::Array(seq.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".to_string(),
                    other => format!("{other:?}"),
                };
                out.insert(key, yaml_to_json(v));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

/// Resolves a local reference such as `#/components/schemas/BlockUsersData`.
fn lookup<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    doc.pointer(pointer)
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => true,
    }
}

fn validate(
    doc: &Value,
    schema: &Value,
    v: &Value,
    at: &str,
    errors: &mut Vec<String>,
    depth: u32,
) {
    if depth > 64 {
        errors.push(format!("{at}: schema nesting too deep"));
        return;
    }
    let Some(s) = schema.as_object() else {
        // `true`/`{}` accept everything; `false` rejects.
        if schema == &Value::Bool(false) {
            errors.push(format!("{at}: no value is allowed here"));
        }
        return;
    };
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        match lookup(doc, r) {
            Some(target) => validate(doc, target, v, at, errors, depth + 1),
            None => errors.push(format!("{at}: unresolvable $ref {r}")),
        }
        // OpenAPI 3.0 ignores siblings of $ref; 3.1 applies them. Apply the ones we know.
    }
    if v.is_null() && s.get("nullable") == Some(&Value::Bool(true)) {
        return;
    }
    let type_ok = match s.get("type") {
        Some(Value::String(t)) => type_matches(t, v),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .any(|t| type_matches(t, v)),
        _ => true,
    };
    if !type_ok {
        let expected = s.get("type").map(Value::to_string).unwrap_or_default();
        errors.push(format!("{at}: expected type {expected}, got {}", kind(v)));
        return;
    }
    if let Some(Value::Array(options)) = s.get("enum") {
        if !options.contains(v) {
            errors.push(format!(
                "{at}: {v} is not one of {}",
                Value::Array(options.clone())
            ));
        }
    }
    if let Some(Value::Array(all)) = s.get("allOf") {
        for sub in all {
            validate(doc, sub, v, at, errors, depth + 1);
        }
    }
    if let Some(Value::Array(any)) = s.get("anyOf") {
        let ok = any.iter().any(|sub| {
            let mut e = Vec::new();
            validate(doc, sub, v, at, &mut e, depth + 1);
            e.is_empty()
        });
        if !ok {
            errors.push(format!("{at}: matches none of anyOf"));
        }
    }
    if let Some(Value::Array(one)) = s.get("oneOf") {
        let n = one
            .iter()
            .filter(|sub| {
                let mut e = Vec::new();
                validate(doc, sub, v, at, &mut e, depth + 1);
                e.is_empty()
            })
            .count();
        if n != 1 {
            errors.push(format!("{at}: matches {n} of oneOf, expected exactly 1"));
        }
    }
    if let Some(obj) = v.as_object() {
        if let Some(Value::Array(req)) = s.get("required") {
            for name in req.iter().filter_map(Value::as_str) {
                if !obj.contains_key(name) {
                    errors.push(format!("{at}: missing required property {name:?}"));
                }
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, val) in obj {
            let child = format!("{at}.{k}");
            match props.and_then(|p| p.get(k)) {
                Some(sub) => validate(doc, sub, val, &child, errors, depth + 1),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        errors.push(format!("{at}: property {k:?} is not allowed"));
                    }
                    Some(sub @ Value::Object(_)) => {
                        validate(doc, sub, val, &child, errors, depth + 1);
                    }
                    _ => {}
                },
            }
        }
    }
    if let Some(arr) = v.as_array() {
        if let Some(items) = s.get("items") {
            for (i, item) in arr.iter().enumerate() {
                validate(doc, items, item, &format!("{at}[{i}]"), errors, depth + 1);
            }
        }
        if let Some(min) = s.get("minItems").and_then(Value::as_u64) {
            if (arr.len() as u64) < min {
                errors.push(format!("{at}: fewer than {min} items"));
            }
        }
        if let Some(max) = s.get("maxItems").and_then(Value::as_u64) {
            if arr.len() as u64 > max {
                errors.push(format!("{at}: more than {max} items"));
            }
        }
    }
    if let Some(text) = v.as_str() {
        let len = text.chars().count() as u64;
        if let Some(min) = s.get("minLength").and_then(Value::as_u64) {
            if len < min {
                errors.push(format!("{at}: shorter than {min} characters"));
            }
        }
        if let Some(max) = s.get("maxLength").and_then(Value::as_u64) {
            if len > max {
                errors.push(format!("{at}: longer than {max} characters"));
            }
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
