//! The macros every capability file is written with: `capability!`
//! declares its trait and the list of its methods with where each is
//! served; `serve!` is the one line of a server function's body;
//! `checked!` lists the file's server functions for the argument check.

/// Where a console call is offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    /// A server function the pages call (its endpoint, `/api/<name>`).
    Page,
    /// An `/api/v1` operation (its OpenAPI `operationId`).
    Api,
}

/// One method of a capability, and the names it is served under.
#[derive(Clone, Copy, Debug)]
pub struct Method {
    pub capability: &'static str,
    pub name: &'static str,
    pub served: &'static [(Surface, &'static [&'static str])],
}

/// A capability trait, each method preceded by the surfaces that serve it:
/// `[Page, Api]` under its own name, `[Page]` or `[Api]` alone, or
/// `[Api: other names]` when served under other names.
macro_rules! capability {
    (
        $(#[doc = $doc:literal])*
        pub trait $name:ident {
            $(
                $(#[doc = $mdoc:literal])*
                [$($surface:ident $(: $($alias:ident)+)?),+]
                async fn $method:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty;
            )*
        }
    ) => {
        $(#[doc = $doc])*
        #[cfg(feature = "ssr")]
        #[async_trait::async_trait]
        pub trait $name: Send + Sync {
            $(
                $(#[doc = $mdoc])*
                async fn $method(&self $(, $arg: $ty)*) -> $ret;
            )*
        }

        /// This capability's methods and the names each is served under.
        pub const METHODS: &[$crate::api::Method] = &[$(
            $crate::api::Method {
                capability: stringify!($name),
                name: stringify!($method),
                served: &[$(
                    ($crate::api::Surface::$surface, served_as!($method $($($alias)+)?))
                ),+],
            }
        ),*];
    };
}

macro_rules! served_as {
    ($method:ident) => {
        &[stringify!($method)]
    };
    ($method:ident $($alias:ident)+) => {
        &[$(stringify!($alias)),+]
    };
}

/// The whole body of a server function: the signed-in staff member (401
/// without one), the console, one call; an error gets its HTTP status on
/// the response. `request` passes the request too (for the session).
#[cfg_attr(not(feature = "ssr"), allow(unused_macros))]
macro_rules! serve {
    (request $method:ident($($arg:expr),* $(,)?)) => {
        $crate::api::ctx::answer(async move {
            #[allow(unused_imports)]
            use $crate::api::prelude::*;
            let request = $crate::api::ctx::request()?;
            let (who, console) = $crate::api::ctx::staff_and_console()?;
            console.$method(&request, &who $(, $arg)*).await
        })
        .await
    };
    (anonymous $method:ident($($arg:expr),* $(,)?)) => {
        $crate::api::ctx::answer(async move {
            #[allow(unused_imports)]
            use $crate::api::prelude::*;
            let request = $crate::api::ctx::request()?;
            $crate::api::ctx::console()?.$method(&request $(, $arg)*).await
        })
        .await
    };
    ($method:ident($($arg:expr),* $(,)?)) => {
        $crate::api::ctx::answer(async move {
            #[allow(unused_imports)]
            use $crate::api::prelude::*;
            let (who, console) = $crate::api::ctx::staff_and_console()?;
            console.$method(&who $(, $arg)*).await
        })
        .await
    };
}

/// The file's server functions, whose arguments the server checks before
/// they run (naming the argument that does not decode).
macro_rules! checked {
    ($($f:ident),* $(,)?) => {
        /// This file's server functions, for the argument check.
        #[cfg(feature = "ssr")]
        pub const ARGUMENTS: &[$crate::api::ArgumentCheck] =
            &[$($crate::api::ArgumentCheck::of::<$f>()),*];
    };
}
