//! The JSON form: what it looks like and how its errors point at the text.

mod common;

use common::{example, tiny_spec};
use sysinit_spec::{Arch, JsonError, Rights, Spec, SpecErrorKind, JSON_VERSION};

const MINIMAL: &str = r#"{
  "format": "sysinit-spec",
  "version": 2,
  "arch": "aarch64",
  "objects": [
    {"name": "ep", "object": "endpoint"},
    {"name": "cnode", "object": {"cnode": {"radix": 3, "slots": [[2, {"object": 0, "rights": ["write"], "badge": 9}]]}}}
  ]
}"#;

#[test]
fn hand_written_json_with_defaults_parses() {
    let spec = Spec::from_json(MINIMAL).unwrap();
    assert_eq!(spec.arch, Arch::Aarch64);
    assert!(spec.blob.is_empty());
    let sysinit_spec::Object::CNode(c) = &spec.objects[1].object else {
        panic!()
    };
    let cap = c.slots[0].1;
    assert_eq!(
        (cap.rights, cap.badge, cap.guard_size, cap.cached),
        (Rights::WRITE, 9, 0, true)
    );
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let broken = MINIMAL.replace(r#""radix": 3,"#, r#""radix": 3"#);
    let err = Spec::from_json(&broken).unwrap_err();
    let JsonError::Syntax { line, column, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*line, 7);
    assert!(*column > 40, "column {column}");
    assert!(err.to_string().starts_with("line 7, column "), "{err}");
}

#[test]
fn unknown_fields_are_refused_with_their_position() {
    let typo = MINIMAL.replace(r#""badge": 9"#, r#""badges": 9"#);
    let err = Spec::from_json(&typo).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("line 7, "), "{text}");
    assert!(text.contains("unknown field `badges`"), "{text}");

    let bad_right = MINIMAL.replace(r#"["write"]"#, r#"["write", "execute"]"#);
    let text = Spec::from_json(&bad_right).unwrap_err().to_string();
    assert!(text.contains("unknown variant `execute`"), "{text}");
}

#[test]
fn version_and_format_are_checked_first() {
    let newer = MINIMAL
        .replace(r#""version": 2"#, r#""version": 3"#)
        .replace("endpoint", "wormhole");
    assert_eq!(
        Spec::from_json(&newer).unwrap_err(),
        JsonError::VersionMismatch {
            found: Some(3),
            supported: JSON_VERSION
        }
    );
    let other = MINIMAL.replace("sysinit-spec", "capdl");
    let text = Spec::from_json(&other).unwrap_err().to_string();
    assert_eq!(
        text,
        "not a sysinit spec: \"format\" is \"capdl\", expected \"sysinit-spec\""
    );
    let text = Spec::from_json("[1, 2]").unwrap_err().to_string();
    assert!(text.starts_with("line 1, column "), "{text}");
}

#[test]
fn unknown_arch_lists_the_valid_ones() {
    let riscv = MINIMAL.replace("aarch64", "riscv64");
    assert_eq!(
        Spec::from_json(&riscv).unwrap_err().to_string(),
        "unknown arch \"riscv64\" (valid: x86_64, aarch64)"
    );
}

#[test]
fn json_is_validated() {
    let dangling = MINIMAL.replace(r#""object": 0"#, r#""object": 5"#);
    let err = Spec::from_json(&dangling).unwrap_err();
    let JsonError::Invalid(e) = &err else {
        panic!("{err:?}")
    };
    assert!(matches!(e.kind, SpecErrorKind::DanglingCap { .. }));
}

#[test]
fn blob_is_hex_in_chunks() {
    let spec = tiny_spec();
    let text = spec.to_json_pretty();
    assert!(text.contains(r#""blob": "626c6f6221""#), "{text}");
    assert!(text.contains(r#""data": "010203""#), "{text}");
    let big = example(Arch::X86_64).to_json_pretty();
    assert!(
        big.contains("\"blob\": [\n    \"9090"),
        "long blobs are split into lines"
    );
    // Any chunking reads back the same.
    let rechunked = text.replace(r#""626c6f6221""#, r#"["626c", "6F6221", ""]"#);
    assert_eq!(Spec::from_json(&rechunked).unwrap(), spec);
    let odd = text.replace(r#""626c6f6221""#, r#""626c6f622""#);
    assert!(Spec::from_json(&odd)
        .unwrap_err()
        .to_string()
        .contains("odd number of digits"));
}

#[test]
fn output_is_stable_and_narrow() {
    let text = example(Arch::Aarch64).to_json_pretty();
    assert_eq!(text, example(Arch::Aarch64).to_json_pretty());
    assert!(text.ends_with("}\n"));
    let widest = text.lines().map(str::len).max().unwrap();
    assert!(widest <= 100, "a line is {widest} wide");
}

#[test]
fn the_example_in_the_format_doc_parses() {
    let doc = std::fs::read_to_string(common::repo_root().join("docs/spec-format.md")).unwrap();
    let start = doc.find("```json\n").expect("the doc has a JSON example") + "```json\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let spec =
        Spec::from_json(&doc[start..end]).unwrap_or_else(|e| panic!("docs/spec-format.md: {e}"));
    assert_eq!(spec.blob, b"blob!");
    // And it is laid out the way to_json_pretty writes it.
    assert_eq!(spec.to_json_pretty(), doc[start..end]);
}

#[test]
fn machine_device_and_executable_round_trip() {
    let mut spec = example(Arch::Aarch64);
    spec.machine = Some(sysinit_spec::Machine {
        board: "qemu-aarch64-virt".into(),
        ram_bytes: 2 << 30,
    });
    let text = spec.to_json_pretty();
    assert!(
        text.contains(r#""machine": {"board": "qemu-aarch64-virt", "ram_bytes": 2147483648}"#),
        "{text}"
    );
    // Program text is mapped executable, everything else is not (and says nothing).
    assert!(text.contains(r#""executable": true"#), "{text}");
    assert!(!text.contains(r#""executable": false"#), "{text}");
    assert!(text.contains(r#""device": true"#), "{text}");
    assert_eq!(Spec::from_json(&text).unwrap(), spec);
    assert_eq!(Spec::from_postcard(&spec.to_postcard()).unwrap(), spec);
    // Without a machine the field is left out and reads back as none.
    spec.machine = None;
    let text = spec.to_json_pretty();
    assert!(!text.contains("\"machine\""), "{text}");
    assert_eq!(Spec::from_json(&text).unwrap(), spec);
}

#[test]
fn frames_must_say_whether_they_are_device_memory() {
    let frame =
        r#"{"name": "f", "object": {"frame": {"size_bits": 12, "paddr": null, "fill": []}}}"#;
    let text = MINIMAL.replace(
        r#"{"name": "ep", "object": "endpoint"},"#,
        &format!(r#"{{"name": "ep", "object": "endpoint"}}, {frame},"#),
    );
    let err = Spec::from_json(&text).unwrap_err().to_string();
    assert!(err.contains("missing field `device`"), "{err}");
}
