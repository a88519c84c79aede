//! The QEMU facts table agrees with the board file the rest of sysinit uses.

use sysinit_board::Board;
use sysinit_guest_dt::qemu_virt;

#[test]
fn device_windows_match_the_board_file() {
    let board = Board::by_name(qemu_virt::BOARD).unwrap();
    let windows = board.device_ranges();
    for device in qemu_virt::DEVICES {
        let window = windows
            .iter()
            .find(|w| w.name == device.name)
            .unwrap_or_else(|| panic!("{} is not a device of the board file", device.name));
        assert_eq!(
            (window.range.start, window.range.end),
            (device.base, device.base + device.size),
            "{}",
            device.name
        );
    }
    let distributor = windows
        .iter()
        .find(|w| w.name == "gic-distributor")
        .unwrap();
    assert_eq!(
        (distributor.range.start, distributor.range.end),
        (
            qemu_virt::GIC_DIST_BASE,
            qemu_virt::GIC_DIST_BASE + qemu_virt::GIC_DIST_SIZE
        )
    );
    // The virtual timer PPI is the one the kernel keeps (interrupt 27).
    let sysinit_board::Interrupts::Gic { kernel_irqs, .. } = board.interrupts() else {
        panic!("QEMU virt has a GIC");
    };
    assert!(kernel_irqs
        .iter()
        .any(|k| k.irq == 16 + u64::from(qemu_virt::TIMER_PPIS[2]) && k.name == "virtual-timer"));
}
