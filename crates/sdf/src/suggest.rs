//! "Did you mean ...?" for names that refer to nothing.

use crate::error::Hint;

/// How to help with the unknown `name` given the `known` names (in file order).
///
/// Suggests the closest known name by edit distance when it is close enough to
/// be a plausible typo; otherwise lists the known names.
pub(crate) fn hint<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Hint {
    let known: Vec<&str> = known.into_iter().collect();
    let limit = (name.chars().count() / 3).max(2);
    let best = known
        .iter()
        .map(|k| (strsim::levenshtein(name, k), *k))
        .filter(|(distance, _)| *distance <= limit)
        // min_by_key keeps the first of equals: file order breaks ties.
        .min_by_key(|(distance, _)| *distance);
    match best {
        Some((_, k)) => Hint::DidYouMean(k.to_string()),
        None => {
            let mut names: Vec<String> = Vec::new();
            for k in known {
                if !names.iter().any(|n| n == k) {
                    names.push(k.to_string());
                }
            }
            Hint::Valid(names)
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
            Hint::Valid(vec!["buffer".into(), "uart_regs".into()])
        );
        assert_eq!(hint("x", []), Hint::Valid(vec![]));
    }
}
