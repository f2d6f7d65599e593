//! What a field costs, for `#[graphql(complexity = ...)]`: a list multiplies the cost of what
//! is selected under it by the number of items it may return, so the complexity of a document
//! bounds the work it can cause. Every list is paginated (at most `MAX_PAGE_SIZE` items), and
//! an omitted `first` counts as the default page size, which is what the resolver returns.

use crate::graphql::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// A paginated list asked for `first` items. Out-of-range values are refused by the resolver;
/// here they count as the largest page so the estimate never undercounts.
pub fn page(first: Option<i32>, child_complexity: usize) -> usize {
    let items = match first {
        None => DEFAULT_PAGE_SIZE,
        Some(size @ 0..=MAX_PAGE_SIZE) => size,
        Some(_) => MAX_PAGE_SIZE,
    };
    1 + items as usize * child_complexity
}

/// A list without arguments (a project's members, a task's subtasks): counted as one default
/// page, the size such lists have in practice.
pub fn unpaged_list(child_complexity: usize) -> usize {
    page(None, child_complexity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_multiply_their_selection_and_an_omitted_first_is_one_default_page() {
        assert_eq!(page(Some(50), 3), 151);
        assert_eq!(page(None, 1), 1 + DEFAULT_PAGE_SIZE as usize);
        assert_eq!(page(Some(10_000), 1), 1 + MAX_PAGE_SIZE as usize);
        assert_eq!(page(Some(0), 5), 1);
    }
}
