use serde::{Deserialize, Serialize};

/// One page of a longer list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> u32 {
        let per = i64::from(self.per_page.max(1));
        u32::try_from((self.total + per - 1) / per)
            .unwrap_or(u32::MAX)
            .max(1)
    }
}

/// Rows per page when a query does not say.
pub const DEFAULT_PER_PAGE: u32 = 25;
/// The most rows one page may ask for.
pub const MAX_PER_PAGE: u32 = 200;

/// A requested (page, per_page) made safe: pages start at 1, 0 rows means
/// the default, and sizes are capped.
pub fn page_bounds(page: u32, per_page: u32) -> (u32, u32) {
    let per_page = match per_page {
        0 => DEFAULT_PER_PAGE,
        n => n.min(MAX_PER_PAGE),
    };
    (page.max(1), per_page)
}
