//! Everything a person sees: the shell and frame, shared components, pages.

pub mod components;
pub mod live;
pub mod pages;
pub mod session;
pub mod shell;
