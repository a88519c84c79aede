//! Every file in specs/invalid breaks exactly one rule and gets exactly one message.
//!
//! The table holds the full expected message of each file, so any change to a
//! message shows up here as a reviewable diff.

use std::path::{Path, PathBuf};

use sysinit_board::Board;

/// Which board a fixture is checked on.
#[derive(Clone, Copy)]
enum On {
    X86,
    Arm,
    /// qemu-x86_64 with an MCS kernel, for rules only MCS kernels reach.
    X86Mcs,
}
use On::{Arm as ARM, X86Mcs as X86_MCS, X86};

fn board(on: On) -> Board {
    match on {
        On::X86 => Board::by_name("qemu-x86_64").unwrap(),
        On::Arm => Board::by_name("qemu-aarch64-virt").unwrap(),
        On::X86Mcs => {
            let text = include_str!("../../../boards/qemu-x86_64.toml");
            Board::from_toml_str(&text.replace("mcs = false", "mcs = true")).unwrap()
        }
    }
}

fn invalid_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/invalid")
}

/// (file stem, board, the one expected message).
const EXPECTED: &[(&str, On, &str)] = &[
    (
        "cached_device_map",
        X86,
        "specs/invalid/cached_device_map.system:7:9: error: <map mr=\"hpet\"> in <protection_domain name=\"a\">: cached=\"true\" maps device memory region 'hpet' cached; valid: leave cached out or cached=\"false\" (device memory is always mapped uncached)",
    ),
    (
        "bad_utf8",
        X86,
        "specs/invalid/bad_utf8.system:3:33: error: not valid UTF-8 at byte offset 63; valid: UTF-8 text",
    ),
    (
        "char_ref_not_a_character",
        X86,
        "specs/invalid/char_ref_not_a_character.system:4:32: error: character reference '&#x110000;' names no Unicode character; valid: &#N; or &#xN; with N at most 0x10FFFF and not a surrogate (0xD800..=0xDFFF)",
    ),
    (
        "budget_exceeds_period",
        X86_MCS,
        "specs/invalid/budget_exceeds_period.system:4:5: error: <protection_domain name=\"a\">: budget 2000 exceeds period 1000; valid: budget <= period",
    ),
    (
        "channel_ends",
        X86,
        "specs/invalid/channel_ends.system:7:5: error: <channel>: has 1 <end> elements; valid: exactly 2",
    ),
    (
        "channel_id_out_of_range",
        X86,
        "specs/invalid/channel_id_out_of_range.system:11:9: error: <end pd=\"a\">: channel id 62 is out of range; valid: 0..=61",
    ),
    (
        "child_id_out_of_range",
        X86,
        "specs/invalid/child_id_out_of_range.system:6:9: error: <protection_domain name=\"child\"> in <protection_domain name=\"parent\">: child id 62 is out of range; valid: 0..=61",
    ),
    (
        "cpu_out_of_range",
        X86,
        "specs/invalid/cpu_out_of_range.system:4:5: error: <protection_domain name=\"a\">: cpu 1 does not exist on board 'qemu-x86_64'; valid: 0..=0",
    ),
    (
        "device_in_carveout",
        ARM,
        "specs/invalid/device_in_carveout.system:7:5: error: <memory_region name=\"guest\">: [0x40000000..0x40200000) overlaps 'vm-memory' [0x40000000..0x60000000), RAM that the kernel on board 'qemu-aarch64-virt' hands out as device memory: it is never zeroed and is not RAM to the kernel; valid: a device address, or ram=\"true\" inside the RAM the kernel manages ([0x60000000..0xc0000000))",
    ),
    (
        "duplicate_channel_id",
        ARM,
        "specs/invalid/duplicate_channel_id.system:12:9: error: <end pd=\"a\">: channel id 0 is already used in protection_domain 'a' (at specs/invalid/duplicate_channel_id.system:6:9); valid: an id not used by another channel or irq of this protection domain",
    ),
    (
        "duplicate_child_id",
        X86,
        "specs/invalid/duplicate_child_id.system:9:9: error: <protection_domain name=\"c2\"> in <protection_domain name=\"parent\">: child id 1 is already used in protection_domain 'parent' (at specs/invalid/duplicate_child_id.system:6:9); valid: an id not used by another child protection domain or vcpu of this protection domain",
    ),
    (
        "duplicate_irq_id",
        ARM,
        "specs/invalid/duplicate_irq_id.system:7:9: error: <irq id=\"3\"> in <protection_domain name=\"a\">: irq id 3 is already used in protection_domain 'a' (at specs/invalid/duplicate_irq_id.system:6:9); valid: an id not used by another channel or irq of this protection domain",
    ),
    (
        "duplicate_ioport_id",
        X86,
        "specs/invalid/duplicate_ioport_id.system:7:9: error: <ioport id=\"0\"> in <protection_domain name=\"a\">: ioport id 0 is already used in protection_domain 'a' (at specs/invalid/duplicate_ioport_id.system:6:9); valid: an id not used by another ioport of this protection domain",
    ),
    (
        "duplicate_irq",
        ARM,
        "specs/invalid/duplicate_irq.system:10:9: error: <irq id=\"1\"> in <protection_domain name=\"b\">: irq 33 is already bound by protection_domain 'a' (at specs/invalid/duplicate_irq.system:6:9); valid: each interrupt bound once",
    ),
    (
        "duplicate_msi",
        X86,
        "specs/invalid/duplicate_msi.system:10:9: error: <irq id=\"1\"> in <protection_domain name=\"b\">: MSI pcidev 00:03.0 handle 0 is already bound by protection_domain 'a' (at specs/invalid/duplicate_msi.system:6:9); valid: each interrupt bound once",
    ),
    (
        "duplicate_name",
        X86,
        "specs/invalid/duplicate_name.system:7:5: error: <protection_domain name=\"a\">: duplicate protection_domain name 'a' (first at specs/invalid/duplicate_name.system:4:5); valid: a name no other protection_domain uses",
    ),
    (
        "duplicate_program_image",
        X86,
        "specs/invalid/duplicate_program_image.system:6:9: error: <protection_domain name=\"a\">: second <program_image> (first at specs/invalid/duplicate_program_image.system:5:9); valid: at most one <program_image>",
    ),
    (
        "duplicate_symbol",
        X86,
        "specs/invalid/duplicate_symbol.system:9:9: error: <map mr=\"tx\"> in <protection_domain name=\"a\">: symbol 'ring' is already set in protection_domain 'a' (at specs/invalid/duplicate_symbol.system:8:9); valid: each symbol set once per protection domain",
    ),
    (
        "empty_program_image_path",
        X86,
        "specs/invalid/empty_program_image_path.system:5:24: error: <program_image path=\"\"> in <protection_domain name=\"a\">: invalid path ''; valid: the path of an ELF file",
    ),
    (
        "empty_setvar_symbol",
        X86,
        "specs/invalid/empty_setvar_symbol.system:7:56: error: <map mr=\"buffer\"> in <protection_domain name=\"a\">: invalid setvar_vaddr ''; valid: the name of a symbol in the program image",
    ),
    (
        "empty_pd_name",
        X86,
        "specs/invalid/empty_pd_name.system:4:24: error: <protection_domain name=\"\">: invalid name ''; valid: a non-empty name",
    ),
    (
        "empty_region_name",
        X86,
        "specs/invalid/empty_region_name.system:7:20: error: <memory_region name=\"\">: invalid name ''; valid: a non-empty name",
    ),
    (
        "invalid_number",
        X86,
        "specs/invalid/invalid_number.system:4:33: error: <protection_domain name=\"a\">: invalid priority 'high'; valid: a decimal or 0x-prefixed hexadecimal integer below 2^64",
    ),
    (
        "invalid_perms",
        X86,
        "specs/invalid/invalid_perms.system:7:44: error: <map mr=\"buffer\"> in <protection_domain name=\"a\">: invalid perms 'w'; valid: a combination of r, w and x (each at most once), except w alone",
    ),
    (
        "ioport_id_out_of_range",
        X86,
        "specs/invalid/ioport_id_out_of_range.system:6:9: error: <ioport id=\"62\"> in <protection_domain name=\"a\">: ioport id 62 is out of range; valid: 0..=61",
    ),
    (
        "ioport_out_of_range",
        X86,
        "specs/invalid/ioport_out_of_range.system:6:9: error: <ioport id=\"0\"> in <protection_domain name=\"a\">: ports [0xfffc..0x10004) are outside the I/O port space; valid: ranges inside [0x0..0x10000) with size > 0",
    ),
    (
        "ioport_overlap",
        X86,
        "specs/invalid/ioport_overlap.system:10:9: error: <ioport id=\"0\"> in <protection_domain name=\"b\">: ports [0x3fc..0x400) overlap ports [0x3f8..0x400) of protection_domain 'a' (at specs/invalid/ioport_overlap.system:6:9); valid: port ranges that do not overlap",
    ),
    (
        "ioports_not_on_board",
        ARM,
        "specs/invalid/ioports_not_on_board.system:6:9: error: <ioport id=\"0\"> in <protection_domain name=\"a\">: I/O ports are not available on board 'qemu-aarch64-virt' (I/O ports exist on x86 only; this board is aarch64); valid: memory-mapped device registers (a memory_region with phys_addr)",
    ),
    (
        "irq_id_out_of_range",
        ARM,
        "specs/invalid/irq_id_out_of_range.system:6:9: error: <irq id=\"62\"> in <protection_domain name=\"a\">: irq id 62 is out of range; valid: 0..=61",
    ),
    (
        "irq_kind",
        ARM,
        "specs/invalid/irq_kind.system:6:9: error: <irq id=\"1\"> in <protection_domain name=\"a\">: cannot tell the kind of interrupt (given: irq, pin); valid: exactly one of 'irq' (ARM), 'pin' (x86 IOAPIC) or 'pcidev' (x86 MSI)",
    ),
    (
        "irq_kind_on_board",
        X86,
        "specs/invalid/irq_kind_on_board.system:6:9: error: <irq id=\"1\"> in <protection_domain name=\"a\">: ARM interrupts (irq=) are not available on board 'qemu-x86_64' (its interrupt controller is an IOAPIC); valid: an IOAPIC pin (pin=, vector=) or an MSI (pcidev=, handle=, vector=)",
    ),
    (
        "irq_out_of_range",
        ARM,
        "specs/invalid/irq_out_of_range.system:6:9: error: <irq id=\"1\"> in <protection_domain name=\"a\">: irq 200 is out of range on board 'qemu-aarch64-virt'; valid: 0..=159",
    ),
    (
        "irq_reserved_by_kernel",
        ARM,
        "specs/invalid/irq_reserved_by_kernel.system:6:9: error: <irq id=\"1\"> in <protection_domain name=\"a\">: irq 26 is the kernel's hypervisor-timer interrupt on board 'qemu-aarch64-virt'; valid: an interrupt the kernel does not use",
    ),
    (
        "map_beyond_limit",
        X86,
        "specs/invalid/map_beyond_limit.system:7:9: error: <map mr=\"buffer\"> in <protection_domain name=\"a\">: [0x7fffffff8000..0x7fffffffc000) goes beyond the mappable address space; valid: mappings ending at or below 0x7fffffffa000 (a guard page, the 0x2000-byte stack, a guard page and the IPC buffer lie above, up to 0x7ffffffff000)",
    ),
    (
        "map_on_stack_guard",
        X86,
        "specs/invalid/map_on_stack_guard.system:8:9: error: <map mr=\"buffer\"> in <protection_domain name=\"a\">: [0x7fffffff7000..0x7fffffffb000) goes beyond the mappable address space; valid: mappings ending at or below 0x7fffffffa000 (a guard page, the 0x2000-byte stack, a guard page and the IPC buffer lie above, up to 0x7ffffffff000)",
    ),
    (
        "map_null_page",
        X86,
        "specs/invalid/map_null_page.system:7:9: error: <map mr=\"buffer\"> in <protection_domain name=\"a\">: vaddr 0x0 maps the page at address 0, which stays unmapped so that null pointers fault; valid: vaddr at or above 0x1000",
    ),
    (
        "map_misaligned",
        X86,
        "specs/invalid/map_misaligned.system:7:9: error: <map mr=\"buffer\"> in <protection_domain name=\"a\">: vaddr 0x1001000 is not aligned to the page size 0x200000 of memory_region 'buffer'; valid: a multiple of 0x200000",
    ),
    (
        "map_overlap",
        X86,
        "specs/invalid/map_overlap.system:9:9: error: <map mr=\"tx\"> in <protection_domain name=\"a\">: [0x1001000..0x1002000) overlaps the map of 'rx' [0x1000000..0x1002000) at specs/invalid/map_overlap.system:8:9 in the address space of <protection_domain name=\"a\">; valid: mappings that do not overlap",
    ),
    (
        "missing_attribute",
        X86,
        "specs/invalid/missing_attribute.system:7:9: error: <map mr=\"buffer\"> in <protection_domain name=\"a\">: missing required attribute 'vaddr'",
    ),
    (
        "missing_program_image",
        X86,
        "specs/invalid/missing_program_image.system:4:5: error: <protection_domain name=\"a\">: missing <program_image>; valid: exactly one <program_image path=\"...\">",
    ),
    (
        "missing_vcpu",
        X86,
        "specs/invalid/missing_vcpu.system:6:9: error: <virtual_machine name=\"guest\"> in <protection_domain name=\"vmm\">: missing <vcpu>; valid: at least one <vcpu id=\"...\">",
    ),
    (
        "needs_mcs",
        X86,
        "specs/invalid/needs_mcs.system:4:5: error: <protection_domain name=\"server\">: 'passive' needs the MCS scheduler, which the kernel for board 'qemu-x86_64' does not have; valid: leave 'passive' out",
    ),
    (
        "no_child_elements",
        X86,
        "specs/invalid/no_child_elements.system:8:13: error: <perms> in <map mr=\"buffer\"> in <protection_domain name=\"a\">: unexpected element; <map> takes no child elements; valid: nothing inside it",
    ),
    (
        "no_protection_domains",
        X86,
        "specs/invalid/no_protection_domains.system:3:1: error: <system>: no protection domains; valid: at least one <protection_domain>",
    ),
    (
        "phys_addr_beyond_width",
        ARM,
        "specs/invalid/phys_addr_beyond_width.system:7:5: error: <memory_region name=\"far\">: [0x100000000000..0x100000001000) lies beyond the 44-bit physical address space of board 'qemu-aarch64-virt'; valid: ranges ending at or below 0x100000000000",
    ),
    (
        "phys_addr_overflow",
        X86,
        "specs/invalid/phys_addr_overflow.system:7:5: error: <memory_region name=\"wrap\">: [0xfffffffffffff000..2^64 and beyond) lies beyond the 46-bit physical address space of board 'qemu-x86_64'; valid: ranges ending at or below 0x400000000000",
    ),
    (
        "phys_addr_misaligned",
        ARM,
        "specs/invalid/phys_addr_misaligned.system:7:5: error: <memory_region name=\"uart\">: phys_addr 0x9000800 is not aligned to the page size 0x1000; valid: a multiple of 0x1000",
    ),
    (
        "phys_in_ram",
        X86,
        "specs/invalid/phys_in_ram.system:7:5: error: <memory_region name=\"device\">: [0x10000000..0x10001000) is RAM on board 'qemu-x86_64' (RAM [0x100000..0x20000000)), not device memory; valid: a device address, or ram=\"true\" to use this RAM at a fixed address",
    ),
    (
        "phys_in_reserved",
        X86,
        "specs/invalid/phys_in_reserved.system:7:5: error: <memory_region name=\"lapic\">: [0xfee00000..0xfee01000) overlaps 'lapic' [0xfee00000..0xfee01000), reserved (kernel device) on board 'qemu-x86_64'; valid: physical ranges outside reserved memory",
    ),
    (
        "phys_overlap",
        X86,
        "specs/invalid/phys_overlap.system:8:5: error: <memory_region name=\"ecam_bus0\">: [0xb0000000..0xb0001000) overlaps memory_region 'ecam' [0xb0000000..0xb0100000) at specs/invalid/phys_overlap.system:7:5; valid: fixed physical ranges that do not overlap",
    ),
    (
        "pp_both_ends",
        X86,
        "specs/invalid/pp_both_ends.system:10:5: error: <channel>: both ends have pp=\"true\"; valid: pp=\"true\" on at most one end",
    ),
    (
        "ppc_priority",
        X86,
        "specs/invalid/ppc_priority.system:11:9: error: <end pd=\"client\">: 'client' (priority 100) may not call 'server' (priority 100); valid: pp=\"true\" only towards a protection domain of strictly higher priority",
    ),
    (
        "priority_out_of_range",
        X86,
        "specs/invalid/priority_out_of_range.system:4:5: error: <protection_domain name=\"a\">: priority 255 is out of range; valid: 0..=254",
    ),
    (
        "ram_exhausted",
        X86,
        "specs/invalid/ram_exhausted.system:8:5: error: <memory_region name=\"big\">: memory regions backed by RAM (without phys_addr, or ram=\"true\") need 0x1000100000 bytes up to here, more than the 0x1ec43800 bytes of RAM the kernel hands to user level on board 'qemu-x86_64' with 0x20000000 bytes of RAM; valid: smaller regions, or more RAM with --ram (at most 0x4000000000 on this board)",
    ),
    (
        "ram_flag_not_ram",
        X86,
        "specs/invalid/ram_flag_not_ram.system:7:5: error: <memory_region name=\"dma\">: ram=\"true\" but [0xb0000000..0xb0001000) is not entirely RAM on board 'qemu-x86_64'; valid: a range inside RAM ([0x100000..0x20000000))",
    ),
    (
        "ram_flag_low_memory",
        X86,
        "specs/invalid/ram_flag_low_memory.system:7:5: error: <memory_region name=\"low\">: [0x1000..0x2000) overlaps 'RAM below 0x100000' [0x0..0xa0000), RAM that the kernel on board 'qemu-x86_64' hands out as device memory: it is never zeroed and is not RAM to the kernel; valid: a device address, or ram=\"true\" inside the RAM the kernel manages ([0x100000..0x20000000))",
    ),
    (
        "ram_flag_without_phys_addr",
        X86,
        "specs/invalid/ram_flag_without_phys_addr.system:7:5: error: <memory_region name=\"dma\">: ram=\"true\" without phys_addr; valid: ram=\"true\" only together with phys_addr",
    ),
    (
        "region_beyond_ram",
        X86,
        "specs/invalid/region_beyond_ram.system:7:5: error: <memory_region name=\"huge\">: memory regions backed by RAM (without phys_addr, or ram=\"true\") need 0x4000000000000000 bytes up to here, more than the 0x1ec43800 bytes of RAM the kernel hands to user level on board 'qemu-x86_64' with 0x20000000 bytes of RAM; valid: smaller regions, or more RAM with --ram (at most 0x4000000000 on this board)",
    ),
    (
        "region_size_not_page_multiple",
        X86,
        "specs/invalid/region_size_not_page_multiple.system:7:5: error: <memory_region name=\"buffer\">: size 0x300000 is not a multiple of the page size 0x200000; valid: a multiple of 0x200000",
    ),
    (
        "region_size_zero",
        X86,
        "specs/invalid/region_size_zero.system:7:5: error: <memory_region name=\"buffer\">: size is zero; valid: a non-zero multiple of the page size",
    ),
    (
        "setvar_paddr_not_fixed",
        X86,
        "specs/invalid/setvar_paddr_not_fixed.system:8:9: error: <setvar symbol=\"dma_paddr\"> in <protection_domain name=\"a\">: memory_region 'dma' has no phys_addr, and on x86_64 its physical address is only known at boot; valid: a memory_region with phys_addr",
    ),
    (
        "stack_size",
        X86,
        "specs/invalid/stack_size.system:4:5: error: <protection_domain name=\"a\">: stack_size 0x1800 is invalid; valid: a multiple of 0x1000 in 0x1000..=0x1000000",
    ),
    (
        "system_attribute",
        X86,
        "specs/invalid/system_attribute.system:3:9: error: <system>: unknown attribute 'version'; valid: none (this element takes no attributes)",
    ),
    (
        "too_deep",
        X86,
        "specs/invalid/too_deep.system:131:1: error: <protection_domain>: elements nested more than 128 deep; valid: at most 128 levels of nested elements",
    ),
    (
        "too_many_attributes",
        X86,
        "specs/invalid/too_many_attributes.system:5:5: error: <protection_domain>: more than 64 attributes; valid: at most 64 attributes on one element",
    ),
    (
        "too_many_frames",
        X86,
        "specs/invalid/too_many_frames.system:7:5: error: <memory_region name=\"window\">: 8589934592 frames of 0x1000 bytes, 8589934592 frames in the memory regions up to here; valid: at most 524288 frames in all memory regions (the root task needs a slot for each, and the root CNode on board 'qemu-x86_64' has 524288); use a larger page_size or smaller regions",
    ),
    (
        "too_many_protection_domains",
        X86,
        "specs/invalid/too_many_protection_domains.system:3:1: error: <system>: 64 protection domains; valid: at most 63",
    ),
    (
        "unexpected_text",
        X86,
        "specs/invalid/unexpected_text.system:6:9: error: <protection_domain name=\"a\">: unexpected text 'priority 5'; valid: only elements and comments",
    ),
    (
        "unknown_attribute",
        X86,
        "specs/invalid/unknown_attribute.system:4:33: error: <protection_domain name=\"a\">: unknown attribute 'prio'; did you mean 'priority'? valid: name, priority, stack_size, cpu; with an MCS kernel also budget, period, passive",
    ),
    (
        "unknown_attribute_suggestion",
        X86,
        "specs/invalid/unknown_attribute_suggestion.system:4:33: error: <protection_domain name=\"a\">: unknown attribute 'priorty'; did you mean 'priority'? valid: name, priority, stack_size, cpu; with an MCS kernel also budget, period, passive",
    ),
    (
        "unknown_element",
        X86,
        "specs/invalid/unknown_element.system:7:5: error: <memory_regoin> in <system>: unknown element; did you mean <memory_region>? valid: <protection_domain>, <memory_region>, <channel>",
    ),
    (
        "unknown_memory_region",
        ARM,
        "specs/invalid/unknown_memory_region.system:7:9: error: <map mr=\"uart_reg\"> in <protection_domain name=\"a\">: unknown memory region 'uart_reg'; did you mean 'uart_regs'?",
    ),
    (
        "unknown_protection_domain",
        X86,
        "specs/invalid/unknown_protection_domain.system:12:9: error: <end pd=\"sever\">: unknown protection domain 'sever'; did you mean 'server'?",
    ),
    (
        "unsupported_attribute",
        X86,
        "specs/invalid/unsupported_attribute.system:7:46: error: <memory_region name=\"data\">: attribute 'prefill_bootinfo' is not supported by sysinit: prefilling memory regions with boot information is not implemented; valid: leave it out",
    ),
    (
        "unsupported_element",
        X86,
        "specs/invalid/unsupported_element.system:7:5: error: <domains>: not supported by sysinit: the kernel is built with a single scheduling domain; valid: leave it out",
    ),
    (
        "unsupported_page_size",
        X86,
        "specs/invalid/unsupported_page_size.system:7:5: error: <memory_region name=\"buffer\">: page_size 0x4000 is not supported on x86_64; valid: 0x1000, 0x200000, 0x40000000",
    ),
    (
        "virtual_machines_not_supported",
        X86,
        "specs/invalid/virtual_machines_not_supported.system:6:9: error: <virtual_machine name=\"guest\"> in <protection_domain name=\"vmm\">: virtual machines are not available on board 'qemu-x86_64' (the x86_64 kernel config has no VT-x, KernelVTX is off, and QEMU's TCG cannot emulate VT-x anyway: guests are aarch64-only); valid: no <virtual_machine> on this board",
    ),
    (
        "wrong_root",
        X86,
        "specs/invalid/wrong_root.system:3:1: error: <sytem>: the root element must be <system>; valid: <system>",
    ),
    (
        "xml_syntax",
        X86,
        "specs/invalid/xml_syntax.system:6:5: error: not well-formed XML: expected 'program_image' tag, not 'protection_domain'",
    ),
    (
        "vm_map_overlap",
        ARM,
        "specs/invalid/vm_map_overlap.system:11:13: error: <map mr=\"uart\"> in <virtual_machine name=\"guest\">: [0x9000000..0x9001000) overlaps the map of 'guest_ram' [0x8e00000..0x9200000) at specs/invalid/vm_map_overlap.system:10:13 in the address space of <virtual_machine name=\"guest\">; valid: mappings that do not overlap",
    ),
    (
        "vm_map_beyond_limit",
        ARM,
        "specs/invalid/vm_map_beyond_limit.system:9:13: error: <map mr=\"bar\"> in <virtual_machine name=\"guest\">: [0xffffffff000..0x100000001000) goes beyond the mappable address space; valid: mappings ending at or below 0x100000000000 (the end of the guest-physical addresses the stage-2 tables hold on board 'qemu-aarch64-virt')",
    ),
    (
        "vcpu_id_out_of_range",
        ARM,
        "specs/invalid/vcpu_id_out_of_range.system:7:13: error: <vcpu id=\"62\"> in <virtual_machine name=\"guest\">: vcpu id 62 is out of range; valid: 0..=61",
    ),
    (
        "duplicate_vcpu_id",
        ARM,
        "specs/invalid/duplicate_vcpu_id.system:8:13: error: <vcpu id=\"0\"> in <virtual_machine name=\"guest\">: vcpu id 0 is already used in protection_domain 'vmm' (at specs/invalid/duplicate_vcpu_id.system:7:13); valid: an id not used by another child protection domain or vcpu of this protection domain",
    ),
    (
        "reserved_device_map",
        ARM,
        "specs/invalid/reserved_device_map.system:9:13: error: <map mr=\"uart\"> in <virtual_machine name=\"guest\">: reserved=\"true\" on device memory region 'uart': only guest RAM can be listed as reserved memory in the guest device tree; valid: leave reserved out (a passthrough device is never memory the guest could allocate)",
    ),
    (
        "guest_device_tree_not_mapped",
        ARM,
        "specs/invalid/guest_device_tree_not_mapped.system:9:13: error: <guest_device_tree mr=\"guest_dtb\"> in <virtual_machine name=\"guest\">: memory region 'guest_dtb' is not mapped into the virtual machine; valid: a RAM region (no phys_addr, or ram=\"true\") mapped into virtual machine 'guest'",
    ),
    (
        "guest_device_tree_device",
        ARM,
        "specs/invalid/guest_device_tree_device.system:10:13: error: <guest_device_tree mr=\"uart\"> in <virtual_machine name=\"guest\">: memory region 'uart' is device memory; valid: a RAM region (no phys_addr, or ram=\"true\") mapped into virtual machine 'guest'",
    ),
    (
        "initrd_not_prefilled",
        ARM,
        "specs/invalid/initrd_not_prefilled.system:14:13: error: <guest_device_tree mr=\"guest_dtb\"> in <virtual_machine name=\"guest\">: initrd_mr 'guest_initrd' has no prefill_path; valid: a RAM region prefilled from the initramfs file (prefill_path), mapped into virtual machine 'guest' without reserved=\"true\", other than the device tree's",
    ),
    (
        "initrd_unknown_region",
        ARM,
        "specs/invalid/initrd_unknown_region.system:14:13: error: <guest_device_tree mr=\"guest_dtb\"> in <virtual_machine name=\"guest\">: unknown memory region 'guest_initd'; did you mean 'guest_initrd'?",
    ),
    (
        "duplicate_guest_device_tree",
        ARM,
        "specs/invalid/duplicate_guest_device_tree.system:11:13: error: <virtual_machine name=\"guest\"> in <protection_domain name=\"vmm\">: second <guest_device_tree> (first at specs/invalid/duplicate_guest_device_tree.system:10:13); valid: at most one <guest_device_tree>",
    ),
    (
        "prefilled_twice",
        ARM,
        "specs/invalid/prefilled_twice.system:10:13: error: <guest_device_tree mr=\"guest_dtb\"> in <virtual_machine name=\"guest\">: memory region 'guest_dtb' is already filled from prefill_path \"guest.dtb\" at specs/invalid/prefilled_twice.system:4:5; valid: one fill per region",
    ),
    (
        "vcpu_id_clashes_child",
        ARM,
        "specs/invalid/vcpu_id_clashes_child.system:10:13: error: <vcpu id=\"0\"> in <virtual_machine name=\"guest\">: vcpu id 0 is already used in protection_domain 'vmm' (at specs/invalid/vcpu_id_clashes_child.system:6:9); valid: an id not used by another child protection domain or vcpu of this protection domain",
    ),
    (
        "prefill_device",
        ARM,
        "specs/invalid/prefill_device.system:4:5: error: <memory_region name=\"uart\">: prefill_path on device memory (phys_addr without ram=\"true\"): the root task writes prefill bytes to RAM only; valid: a RAM region",
    ),
    (
        "duplicate_vm_setvar",
        ARM,
        "specs/invalid/duplicate_vm_setvar.system:10:13: error: <map mr=\"guest_ram\"> in <virtual_machine name=\"guest\">: symbol 'ram' is already set in protection_domain 'vmm' (at specs/invalid/duplicate_vm_setvar.system:7:9); valid: each symbol set once per protection domain",
    ),
    (
        "prefill_size_without_prefill",
        X86,
        "specs/invalid/prefill_size_without_prefill.system:7:9: error: <map mr=\"data\"> in <protection_domain name=\"a\">: setvar_prefill_size, but memory region 'data' has no prefill_path; valid: leave setvar_prefill_size out, or give the region prefill_path",
    ),
];

/// Parses and validates one fixture, returning every message.
fn messages(stem: &str, on: On) -> Vec<String> {
    let file = format!("{stem}.system");
    let bytes = std::fs::read(invalid_dir().join(&file)).unwrap();
    let shown = format!("specs/invalid/{file}");
    let errors = match sysinit_sdf::parse_bytes(&bytes, &shown) {
        Err(errors) => errors,
        Ok(description) => match sysinit_sdf::validate(&description, &board(on)) {
            Ok(()) => return Vec::new(),
            Err(errors) => errors,
        },
    };
    errors.errors().iter().map(|e| e.to_string()).collect()
}

#[test]
fn each_invalid_file_gets_its_exact_message() {
    let mut failures = Vec::new();
    for &(stem, on, expected) in EXPECTED {
        let got = messages(stem, on);
        if got != [expected] {
            failures.push(format!(
                "{stem}:\n  expected: {expected}\n  got:      {got:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_invalid_file_is_in_the_table() {
    let mut files: Vec<String> = std::fs::read_dir(invalid_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut listed: Vec<String> = EXPECTED
        .iter()
        .map(|(s, _, _)| format!("{s}.system"))
        .collect();
    listed.sort();
    assert_eq!(files, listed);
}

#[test]
fn errors_are_reported_together_and_in_file_order() {
    let text = r#"<system>
    <memory_region name="buffer" size="0x1001" />
    <protection_domain name="a" priority="300">
        <program_image path="a.elf" />
        <map mr="bufer" vaddr="0x1000" />
    </protection_domain>
</system>"#;
    let description = sysinit_sdf::parse_str(text, "t.system").unwrap();
    let errors = sysinit_sdf::validate(&description, &board(X86)).unwrap_err();
    let lines: Vec<String> = errors.errors().iter().map(|e| e.to_string()).collect();
    assert_eq!(
        lines,
        [
            "t.system:2:5: error: <memory_region name=\"buffer\">: size 0x1001 is not a multiple of the page size 0x1000; valid: a multiple of 0x1000",
            "t.system:3:5: error: <protection_domain name=\"a\">: priority 300 is out of range; valid: 0..=254",
            "t.system:5:9: error: <map mr=\"bufer\"> in <protection_domain name=\"a\">: unknown memory region 'bufer'; did you mean 'buffer'?",
        ]
    );
    assert_eq!(errors.to_string(), lines.join("\n"));
}

#[test]
fn parse_errors_are_reported_together() {
    let text = r#"<system>
    <protection_domain name="a" priority="x" colour="red">
        <program_image path="a.elf" />
        <map mr="m" vaddr="0x1000" perms="q" />
    </protection_domain>
    <channel />
</system>"#;
    let errors = sysinit_sdf::parse_str(text, "t.system").unwrap_err();
    let kinds: Vec<String> = errors
        .errors()
        .iter()
        .map(|e| e.to_string().split(": error: ").next().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "t.system:2:33",
            "t.system:2:46",
            "t.system:4:36",
            "t.system:6:5"
        ]
    );
}
