//! `/proc/iomem` parsing and physical ranges, host-tested.
use std::fmt;

/// Physical range [start, end).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Range {
    pub start: u64,
    pub end: u64,
}

impl Range {
    pub fn overlaps(&self, other: &Range) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &Range) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:#x}..{:#x})", self.start, self.end)
    }
}

/// A top-level `/proc/iomem` line: `start-end : name` (inclusive end).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub range: Range,
    pub name: String,
}

/// The top-level (unindented) entries of `/proc/iomem`; nested ones (kernel code,
/// device resources) are parts of those and not needed here.
pub fn parse_iomem(text: &str) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
    {
        let (span, name) = line
            .split_once(" : ")
            .ok_or_else(|| format!("/proc/iomem line without ' : ': {line:?}"))?;
        let (start, last) = span
            .split_once('-')
            .ok_or_else(|| format!("/proc/iomem range without '-': {line:?}"))?;
        let hex = |s: &str| u64::from_str_radix(s.trim(), 16).map_err(|e| format!("{line:?}: {e}"));
        let (start, last) = (hex(start)?, hex(last)?);
        entries.push(Entry {
            range: Range {
                start,
                end: last + 1,
            },
            name: name.trim().to_string(),
        });
    }
    Ok(entries)
}

/// Sorted, with touching or overlapping ranges merged.
pub fn merged(mut ranges: Vec<Range>) -> Vec<Range> {
    ranges.sort();
    let mut out: Vec<Range> = Vec::new();
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// `ranges` without any byte of `holes`, sorted and merged.
pub fn subtract(ranges: Vec<Range>, holes: &[Range]) -> Vec<Range> {
    let mut out = merged(ranges);
    for hole in holes {
        out = out
            .into_iter()
            .flat_map(|r| {
                if !r.overlaps(hole) {
                    return vec![r];
                }
                let below = Range {
                    start: r.start,
                    end: hole.start,
                };
                let above = Range {
                    start: hole.end,
                    end: r.end,
                };
                [below, above]
                    .into_iter()
                    .filter(|p| p.start < p.end)
                    .collect()
            })
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const IOMEM: &str = "\
09000000-09000fff : pl011@9000000
  09000000-09000fff : 9000000.pl011 pl011@9000000
40000000-40ffffff : System RAM
  40210000-40ffffff : Kernel code
41000000-41000fff : reserved
41001000-41ffffff : System RAM
";

    #[test]
    fn top_level_entries_are_read_with_exclusive_ends() {
        let e = parse_iomem(IOMEM).unwrap();
        assert_eq!(e.len(), 4);
        assert_eq!(
            e[1].range,
            Range {
                start: 0x4000_0000,
                end: 0x4100_0000
            }
        );
        assert_eq!(e[2].name, "reserved");
    }

    #[test]
    fn system_ram_around_a_hole_stays_two_ranges_and_touching_ones_merge() {
        let ram: Vec<Range> = parse_iomem(IOMEM)
            .unwrap()
            .into_iter()
            .filter(|e| e.name == "System RAM")
            .map(|e| e.range)
            .collect();
        assert_eq!(merged(ram.clone()).len(), 2);
        let touching = vec![Range { start: 0, end: 4 }, Range { start: 4, end: 8 }];
        assert_eq!(merged(touching), vec![Range { start: 0, end: 8 }]);
    }

    #[test]
    fn subtracting_a_hole_splits_or_trims() {
        let r = |start, end| Range { start, end };
        assert_eq!(subtract(vec![r(0, 10)], &[r(4, 6)]), [r(0, 4), r(6, 10)]);
        assert_eq!(subtract(vec![r(0, 10)], &[r(8, 10)]), [r(0, 8)]);
        assert_eq!(subtract(vec![r(0, 10)], &[r(20, 30)]), [r(0, 10)]);
        assert_eq!(subtract(vec![r(0, 4), r(4, 10)], &[r(0, 10)]), []);
    }

    #[test]
    fn a_malformed_line_is_an_error_not_a_panic() {
        assert!(parse_iomem("garbage\n").is_err());
        assert!(parse_iomem("zz-10 : x\n").is_err());
    }
}
