//! Input that once crashed the reader, and the limits that refuse it now.
//!
//! Nesting was limited only by the stack: 3,500 nested protection domains
//! overflowed it in the reader, 20,000 nested unknown elements in the XML
//! tokenizer. Input size was unlimited (`check /dev/zero` read forever).

use std::io::Write;

use sysinit_sdf::{
    parse_bytes, parse_file, parse_str, parse_str_with_limits, InputLimits, MAX_DEPTH,
    MAX_INPUT_BYTES,
};

fn nested(open: &str, close: &str, levels: usize) -> String {
    let mut text = String::from("<system>\n");
    text.push_str(&open.repeat(levels));
    text.push_str(&close.repeat(levels));
    text.push_str("</system>\n");
    text
}

fn message(result: Result<sysinit_sdf::SystemDescription, sysinit_sdf::SdfErrors>) -> String {
    result.expect_err("refused").to_string()
}

#[test]
fn deeply_nested_protection_domains_are_refused_before_parsing() {
    let text = nested(
        "<protection_domain name=\"a\" id=\"1\">",
        "</protection_domain>",
        3_500,
    );
    // <system> is level 1, so the 128th protection domain is the 129th level.
    let column = 1 + "<protection_domain name=\"a\" id=\"1\">".len() * 127;
    assert_eq!(
        message(parse_str(&text, "deep.system")),
        format!("deep.system:2:{column}: error: <protection_domain>: elements nested more than 128 deep; valid: at most 128 levels of nested elements")
    );
}

#[test]
fn deeply_nested_unknown_elements_are_refused_before_parsing() {
    let text = nested("<x>", "</x>", 20_000);
    assert_eq!(
        message(parse_str(&text, "deep.system")),
        "deep.system:2:382: error: <x>: elements nested more than 128 deep; valid: at most 128 levels of nested elements"
    );
}

#[test]
fn nesting_up_to_the_limit_reaches_the_reader() {
    // MAX_DEPTH levels: <system> and MAX_DEPTH - 1 unknown elements; the reader
    // reports the outermost unknown one, not the depth.
    let text = nested("<x>", "</x>", MAX_DEPTH - 1);
    assert_eq!(
        message(parse_str(&text, "t")),
        "t:2:1: error: <x> in <system>: unknown element; valid: <protection_domain>, <memory_region>, <channel>"
    );
    // The reader recurses into protection domains: as deep as allowed, it still
    // reports (each PD lacks its program image) instead of overflowing the stack.
    let text = nested(
        "<protection_domain name=\"a\" id=\"1\">",
        "</protection_domain>",
        MAX_DEPTH - 1,
    );
    let errors = parse_str(&text, "t").unwrap_err();
    assert!(errors.errors().len() >= MAX_DEPTH - 1);
    assert!(!errors.to_string().contains("nested"));
}

#[test]
fn comments_cdata_and_quoted_brackets_do_not_count_as_depth() {
    let inner = "<!-- <a><a><a> --><![CDATA[<b><b>]]>";
    let text = format!(
        "<system>{}<protection_domain name=\"a\" x=\">\"><program_image path=\"a\" /></protection_domain></system>",
        inner.repeat(200)
    );
    let limits = InputLimits {
        max_depth: 2,
        ..InputLimits::DEFAULT
    };
    // The description parses structurally (the CDATA text is the only problem).
    let got = message(parse_str_with_limits(&text, "t", limits));
    assert!(got.contains("unexpected text"), "{got}");
    assert!(!got.contains("nested"), "{got}");
}

#[test]
fn input_beyond_the_size_limit_is_refused() {
    let text = " ".repeat(MAX_INPUT_BYTES + 1);
    let expected = format!("big.system: error: the system description is larger than {MAX_INPUT_BYTES} bytes; valid: at most 16777216 bytes");
    assert_eq!(message(parse_str(&text, "big.system")), expected);
    assert_eq!(
        message(parse_bytes(text.as_bytes(), "big.system")),
        expected
    );

    let limits = InputLimits {
        max_bytes: 10,
        ..InputLimits::DEFAULT
    };
    assert_eq!(
        message(parse_str_with_limits("<system />\n", "t", limits)),
        "t: error: the system description is larger than 10 bytes; valid: at most 10 bytes"
    );
}

#[test]
fn a_file_beyond_the_size_limit_is_not_read_whole() {
    let dir = std::env::temp_dir().join(format!("sysinit-sdf-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.system");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..17 {
        file.write_all(&chunk).unwrap();
    }
    drop(file);
    let shown = path.display().to_string();
    assert_eq!(
        message(parse_file(&path)),
        format!("{shown}: error: the system description is larger than 16777216 bytes; valid: at most 16777216 bytes")
    );
    assert_eq!(
        message(parse_file(&dir)),
        format!(
            "{}: error: is a directory, not a system description; valid: the path of a .system file",
            dir.display()
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn an_endless_file_is_refused() {
    assert_eq!(
        message(parse_file(std::path::Path::new("/dev/zero"))),
        "/dev/zero: error: the system description is larger than 16777216 bytes; valid: at most 16777216 bytes"
    );
}
