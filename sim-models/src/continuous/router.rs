//! The router in front of the instances (MODEL.md §13): each uploaded
//! request goes to the instance with the fewest unfinished requests
//! (running and waiting), ties to the lowest index.

/// The index of the least-loaded instance, given each instance's
/// outstanding requests in index order; `None` if there is no instance.
pub fn least_outstanding(outstanding: impl IntoIterator<Item = usize>) -> Option<usize> {
    outstanding
        .into_iter()
        .enumerate()
        .min_by_key(|&(i, n)| (n, i))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fewest_then_lowest_index() {
        assert_eq!(least_outstanding([3, 1, 2, 1]), Some(1));
        assert_eq!(least_outstanding([0, 0]), Some(0));
        assert_eq!(least_outstanding([]), None);
    }
}
