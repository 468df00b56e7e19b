use serde::{Deserialize, Serialize};

/// What a staff member may do. Ordered by power: a higher role can do all a
/// lower one can.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Operator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Result<Role, String> {
        match value.trim() {
            "viewer" => Ok(Role::Viewer),
            "operator" => Ok(Role::Operator),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "must be one of viewer, operator, admin (got \"{}\")",
                other.chars().take(20).collect::<String>()
            )),
        }
    }

    /// Whether this role includes `needed`.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in staff member of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CurrentStaff {
    pub id: i64,
    pub username: String,
    pub role: Role,
    /// Signed in with a generated password: nothing but changing it (and
    /// signing out) is allowed until it is changed.
    #[serde(default)]
    pub must_change_password: bool,
    /// The API token the request came with (its id), when it came with
    /// one: the role above is then already capped by the token's.
    #[serde(default)]
    pub token: Option<i64>,
}

/// Who a request comes from, as resolved by the server from its session.
/// The server puts it into the request's extensions; server functions read it.
#[derive(Clone, Debug, Default)]
pub struct Principal(pub Option<CurrentStaff>);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffDto {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub active: bool,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    /// Still on a generated password, not yet changed.
    #[serde(default)]
    pub must_change_password: bool,
}

/// A newly made account or reset password. The password is shown once and
/// never stored in clear.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewStaffResult {
    pub staff: StaffDto,
    pub one_time_password: String,
}

/// A personal API token as listed (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenDto {
    pub id: i64,
    pub name: String,
    /// The most the token may do; its owner's current role caps it.
    pub role: Role,
    /// The token's first characters, to tell tokens apart.
    pub prefix: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A token to make for oneself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewTokenForm {
    /// What the token is for, e.g. "ci-demo-tenants" (1–60 characters).
    pub name: String,
    /// At most the maker's own role.
    pub role: Role,
    /// Days until it expires (1–365).
    #[serde(default = "default_token_days")]
    pub expires_in_days: i64,
}

fn default_token_days() -> i64 {
    30
}

/// A new token with its secret, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewTokenResult {
    pub token: TokenDto,
    /// Sent as `Authorization: Bearer <secret>`; not shown again.
    pub secret: String,
}
