//! Who is signed in: the one resource every page reads (the shell provides
//! it, the live stream follows it), and what their role allows.

use leptos::prelude::*;

use crate::dto::{CurrentStaff, Role};
use crate::error::AppError;

/// Who is signed in, shared by every page. Bumping `version` refetches it.
#[derive(Clone, Copy)]
pub struct SessionCtx {
    pub me: Resource<Result<Option<CurrentStaff>, AppError>>,
    pub version: RwSignal<u32>,
}

pub fn use_session() -> SessionCtx {
    expect_context::<SessionCtx>()
}

/// Whether the signed-in person's role includes `needed` (false while unknown).
pub fn can(me: &Result<Option<CurrentStaff>, AppError>, needed: Role) -> bool {
    matches!(me, Ok(Some(s)) if s.role.allows(needed))
}
