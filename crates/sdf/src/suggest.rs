//! "Did you mean ...?" for names that refer to nothing.

use crate::error::Hint;

/// The known name closest to `name` by edit distance, when close enough to be
/// a plausible typo; the first in `known` of equally close ones.
///
/// A name that starts a known one (an abbreviation, `prio`) suggests that one first.
pub(crate) fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let known: Vec<&'a str> = known.into_iter().collect();
    if name.chars().count() >= 3 {
        if let Some(k) = known.iter().find(|k| k.starts_with(name)) {
            return Some(k);
        }
    }
    let length = name.chars().count();
    let limit = (length / 3).max(2);
    known
        .into_iter()
        // The distance is at least the difference in length: skip the rest cheaply.
        .filter(|k| k.chars().count().abs_diff(length) <= limit)
        .map(|k| (strsim::levenshtein(name, k), k))
        .filter(|(distance, _)| *distance <= limit)
        // min_by_key keeps the first of equals: file order breaks ties.
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, k)| k)
}

/// Most names a hint lists.
const MAX_LISTED: usize = 16;

/// How to help with the unknown `name` given the `known` names (in file order).
///
/// Suggests the closest known name when it is a plausible typo; otherwise
/// lists the known names.
pub(crate) fn hint<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Hint {
    let known: Vec<&str> = known.into_iter().collect();
    match closest(name, known.iter().copied()) {
        Some(k) => Hint::DidYouMean(k.to_string()),
        None => {
            let mut seen = std::collections::HashSet::new();
            let distinct: Vec<&str> = known.into_iter().filter(|k| seen.insert(*k)).collect();
            let more = distinct.len().saturating_sub(MAX_LISTED);
            let names = distinct.iter().take(MAX_LISTED).map(|k| k.to_string());
            Hint::Valid(names.collect(), more)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested() {
        assert_eq!(
            hint("uart_reg", ["buffer", "uart_regs"]),
            Hint::DidYouMean("uart_regs".into())
        );
        assert_eq!(
            hint("zzz", ["buffer", "uart_regs"]),
            Hint::Valid(vec!["buffer".into(), "uart_regs".into()], 0)
        );
        assert_eq!(hint("x", []), Hint::Valid(vec![], 0));
        let many: Vec<String> = (0..20).map(|i| format!("region{i}")).collect();
        let listed = hint("zzzzzzzzzzzz", many.iter().map(String::as_str));
        assert_eq!(listed, Hint::Valid(many[..16].to_vec(), 4));
        assert!(listed.to_string().ends_with("'region15' and 4 more"));
        assert_eq!(
            closest("prio", ["name", "period", "priority"]),
            Some("priority")
        );
        assert_eq!(closest("xyz", ["name", "priority"]), None);
        assert_eq!(closest("priorty", ["name", "priority"]), Some("priority"));
        assert_eq!(
            closest("memory_regoin", ["channel", "memory_region"]),
            Some("memory_region")
        );
    }
}
