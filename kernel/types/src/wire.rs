//! Bodies of the v1 HTTP API (API.md). Field names are the contract: do not rename.

use crate::data_type::KalamDataType;
use serde::{Deserialize, Serialize};

/// `POST /v1/api/sql` request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SqlRequest {
    pub sql: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_id: Option<String>,
}

/// One column of a result schema.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchemaField {
    pub name: String,
    pub data_type: KalamDataType,
    pub index: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
}

/// One statement's result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QueryResult {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schema: Vec<SchemaField>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<Vec<serde_json::Value>>>,
    pub row_count: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_user: Option<String>,
}

/// The error object of an error response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// `POST /v1/api/sql` response, success or error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SqlResponse {
    pub status: String,
    pub results: Vec<QueryResult>,
    pub took: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// `POST /v1/api/auth/login` request. `username` is accepted as an alias of `user`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginRequest {
    #[serde(alias = "username")]
    pub user: String,
    #[serde(default)]
    pub password: String,
}

/// The user object of login and `me` responses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: String,
    pub role: String,
    #[serde(default)]
    pub email: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /v1/api/auth/login` and `/refresh` success body.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginResponse {
    pub user: UserInfo,
    pub admin_ui_access: bool,
    pub expires_at: String,
    pub access_token: String,
    pub refresh_token: String,
    pub refresh_expires_at: String,
}

/// `GET /v1/api/auth/me` body.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MeResponse {
    pub user: UserInfo,
    pub admin_ui_access: bool,
}

/// Error body of the auth endpoints: `{"error":"unauthorized","message":"Invalid credentials"}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthErrorBody {
    pub error: String,
    pub message: String,
}

/// `GET /v1/api/auth/status` body.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SetupStatus {
    pub needs_setup: bool,
    pub message: String,
}

/// `POST /v1/api/auth/setup` request.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SetupRequest {
    #[serde(alias = "username")]
    pub user: String,
    pub password: String,
    pub root_password: String,
    #[serde(default)]
    pub email: Option<String>,
}

/// `GET /health` body.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HealthResponse {
    pub status: String,
    pub version: String,
    pub api_version: String,
    pub build_date: String,
    /// Seconds since the server started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime_seconds: Option<u64>,
    /// `ok`, or what is wrong with the hot store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rocksdb: Option<String>,
}
