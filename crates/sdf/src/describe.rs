//! How messages name an element: the way the user wrote it, `<tag key="value">`,
//! followed by ` in <parent ...>` when the element lives inside a PD or VM.

use crate::model::{ProtectionDomain, VirtualMachine};

/// `<tag key="value">`, or `<tag>` when the identifying attribute is absent.
pub fn element(tag: &str, key: &str, value: Option<&str>) -> String {
    match value {
        Some(v) => format!("<{tag} {key}=\"{v}\">"),
        None => format!("<{tag}>"),
    }
}

/// `<protection_domain name="...">`.
pub fn pd(pd: &ProtectionDomain) -> String {
    element("protection_domain", "name", Some(&pd.name))
}

/// `<virtual_machine name="...">`.
pub fn vm(vm: &VirtualMachine) -> String {
    element("virtual_machine", "name", Some(&vm.name))
}

/// `child` inside `parent`: `<map mr="x"> in <protection_domain name="y">`.
pub fn inside(child: &str, parent: &str) -> String {
    format!("{child} in {parent}")
}
