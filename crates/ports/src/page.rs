use thunderphone_domain::Timestamp;

/// Page size: 1–200, default 50 (API.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u16);

impl PageLimit {
    /// Largest page.
    pub const MAX: u16 = 200;

    /// Accepts 1–200.
    pub fn new(value: i64) -> Option<Self> {
        u16::try_from(value)
            .ok()
            .filter(|v| (1..=Self::MAX).contains(v))
            .map(Self)
    }

    /// The size.
    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self(50)
    }
}

/// A keyset position in a list ordered newest first: the last item seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ListCursor {
    /// `created_at` of the last item seen.
    pub created_at: Timestamp,
    /// Its id (ties on `created_at` are broken by id, descending).
    pub id: i64,
}

/// Which page to read: items strictly after `after`, at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest<C> {
    /// Page size.
    pub limit: PageLimit,
    /// Position after which to start; `None` for the first page.
    pub after: Option<C>,
}

impl<C> PageRequest<C> {
    /// The first page of the given size.
    pub fn first(limit: PageLimit) -> Self {
        Self { limit, after: None }
    }
}

/// One page of results and where the next one starts (`None` on the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, C> {
    /// The items, in list order.
    pub items: Vec<T>,
    /// The cursor of the next page.
    pub next: Option<C>,
}

impl<T, C> Page<T, C> {
    /// Builds a page from up to `limit + 1` items read in list order: the
    /// extra item only tells that there is a next page.
    pub fn from_overfetch(
        mut items: Vec<T>,
        limit: PageLimit,
        cursor_of: impl Fn(&T) -> C,
    ) -> Self {
        let next = if items.len() > limit.get() {
            items.truncate(limit.get());
            items.last().map(cursor_of)
        } else {
            None
        };
        Self { items, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(PageLimit::default().get(), 50);
        assert!(PageLimit::new(0).is_none());
        assert!(PageLimit::new(201).is_none());
        assert!(PageLimit::new(-1).is_none());
        assert_eq!(PageLimit::new(200).map(PageLimit::get), Some(200));
    }

    #[test]
    fn overfetch_sets_next() {
        let limit = PageLimit::new(2).unwrap_or_default();
        let page = Page::from_overfetch(vec![5, 4, 3], limit, |x| *x);
        assert_eq!(page.items, vec![5, 4]);
        assert_eq!(page.next, Some(4));
        let last = Page::from_overfetch(vec![2, 1], limit, |x| *x);
        assert_eq!(last.next, None);
    }
}
