//! problem+json error responses, shaped like the manager's `BackendError`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One error response: `{"type","title","error_code"?,"msg"?,"data"?}`.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub slug: String,
    pub title: String,
    pub error_code: Option<String>,
    pub msg: Option<String>,
    /// Boxed to keep `Result<_, Problem>` small.
    pub data: Option<Box<Value>>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &str) -> Self {
        Problem {
            status,
            slug: slug.into(),
            title: title.into(),
            error_code: None,
            msg: None,
            data: None,
        }
    }
    pub fn code(mut self, code: &str) -> Self {
        self.error_code = Some(code.into());
        self
    }
    pub fn msg(mut self, msg: impl Into<String>) -> Self {
        self.msg = Some(msg.into());
        self
    }
    pub fn data(mut self, data: Value) -> Self {
        self.data = Some(Box::new(data));
        self
    }

    pub fn body(&self) -> Value {
        let mut b = json!({
            "type": format!("https://api.backend.ai/probs/{}", self.slug),
            "title": self.title,
        });
        if let Some(c) = &self.error_code {
            b["error_code"] = json!(c);
        }
        if let Some(m) = &self.msg {
            b["msg"] = json!(m);
        }
        if let Some(d) = &self.data {
            b["data"] = (**d).clone();
        }
        b
    }

    pub fn invalid_api_params(msg: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-api-params",
            "Missing or invalid API parameters.",
        )
        .msg(msg)
    }
    pub fn session_not_found() -> Self {
        Problem::new(
            StatusCode::NOT_FOUND,
            "object-not-found",
            "No such session.",
        )
        .code("session_read_not-found")
    }
    pub fn url_not_found() -> Self {
        Problem::new(StatusCode::NOT_FOUND, "url-not-found", "Unknown URL path.")
    }
    pub fn unauthorized() -> Self {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "auth-failed",
            "Unauthorized access",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(self.body())).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        r
    }
}

pub type ApiResult<T> = Result<T, Problem>;
