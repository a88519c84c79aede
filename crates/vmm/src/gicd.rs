//! The GICv2 distributor the guest sees, emulated: its registers and the enabled,
//! pending and priority state of every interrupt.
//!
//! The guest's CPU interface is the hardware's virtual one (GICV, mapped into the
//! guest); only the distributor is emulated, from the stage-2 faults its accesses
//! raise. Register offsets and reset values follow the GICv2 architecture
//! specification (IHI 0048B, "Distributor register map"); the identification
//! registers are those QEMU's GICv2 and the GIC-400 report.
//!
//! Every access is decoded byte by byte onto 32-bit registers, so byte, halfword,
//! word and doubleword accesses all work the same way: a read assembles the bytes of
//! the words it covers, a write updates each word it covers under a byte mask.
//! Reserved and unimplemented offsets read as zero and ignore writes.
//!
//! The active state is the list registers' (the guest's CPU interface manages it):
//! `ISACTIVER` reads which interrupts are in a list register, writes to the active
//! registers are ignored.

/// Interrupts of the board (QEMU virt's GIC: 32 SGIs and PPIs, 128 SPIs).
pub const NUM_IRQS: usize = 160;
/// 32-bit words of one-bit-per-interrupt state.
const WORDS: usize = NUM_IRQS / 32;
/// Size of the distributor's window in the guest's address space.
pub const GICD_SIZE: u64 = 0x1_0000;
/// Where QEMU virt's distributor is, and so where the guest's device tree says it is.
pub const GICD_BASE_QEMU_VIRT: u64 = 0x0800_0000;

/// The virtual timer's PPI (non-secure EL1 virtual timer, INTID 27).
pub const VTIMER_IRQ: u16 = 27;

const CTLR: u32 = 0x000;
const TYPER: u32 = 0x004;
const IIDR: u32 = 0x008;
const IGROUPR: u32 = 0x080;
const ISENABLER: u32 = 0x100;
const ICENABLER: u32 = 0x180;
const ISPENDR: u32 = 0x200;
const ICPENDR: u32 = 0x280;
const ISACTIVER: u32 = 0x300;
const ICACTIVER: u32 = 0x380;
const IPRIORITYR: u32 = 0x400;
const ITARGETSR: u32 = 0x800;
const ICFGR: u32 = 0xc00;
const SGIR: u32 = 0xf00;
const ID_REGS: u32 = 0xfd0;

/// `GICD_TYPER`: ITLinesNumber = 160 / 32 - 1, CPUNumber 0 (one CPU), no security extensions.
const TYPER_VALUE: u32 = (NUM_IRQS / 32 - 1) as u32;
/// `GICD_IIDR`: ARM (0x43b), product GIC-400 (0x02), revision 1.
const IIDR_VALUE: u32 = 0x0200_143b;
/// `GICD_PIDR4`..`PIDR7`, `PIDR0`..`PIDR3`, `CIDR0`..`CIDR3` (0xfd0..0xffc): a GICv2.
const ID_VALUES: [u32; 12] = [
    0x04, 0x00, 0x00, 0x00, 0x90, 0xb4, 0x2b, 0x00, 0x0d, 0xf0, 0x05, 0xb1,
];
/// `GICD_ICFGR0`: SGIs are edge-triggered, read-only.
const ICFGR_SGI: u32 = 0xaaaa_aaaa;

/// The emulated distributor's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Distributor {
    enabled_grp: u32,
    group: [u32; WORDS],
    enabled: [u32; WORDS],
    pending: [u32; WORDS],
    active: [u32; WORDS],
    priority: [u8; NUM_IRQS],
    targets: [u8; NUM_IRQS],
    config: [u32; NUM_IRQS / 16],
}

impl Default for Distributor {
    fn default() -> Self {
        Distributor::new()
    }
}

/// What a guest write asked for beyond changing state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteEffect {
    /// Nothing more: the VMM may deliver what became deliverable.
    None,
    /// A software-generated interrupt for this (the only) CPU.
    Sgi(u16),
}

fn bit(irq: u16) -> (usize, u32) {
    ((irq / 32) as usize, 1 << (irq % 32))
}

impl Distributor {
    /// The distributor at reset: disabled, every interrupt disabled, priority 0.
    pub const fn new() -> Distributor {
        Distributor {
            enabled_grp: 0,
            group: [0; WORDS],
            enabled: [0; WORDS],
            pending: [0; WORDS],
            active: [0; WORDS],
            priority: [0; NUM_IRQS],
            targets: [0; NUM_IRQS],
            config: [0; NUM_IRQS / 16],
        }
    }

    /// Whether the guest enabled the distributor (`GICD_CTLR.Enable`).
    pub const fn is_enabled(&self) -> bool {
        self.enabled_grp & 1 != 0
    }

    fn get(words: &[u32; WORDS], irq: u16) -> bool {
        let (w, b) = bit(irq);
        (irq as usize) < NUM_IRQS && words[w] & b != 0
    }

    fn put(words: &mut [u32; WORDS], irq: u16, on: bool) {
        let (w, b) = bit(irq);
        if (irq as usize) < NUM_IRQS {
            if on {
                words[w] |= b;
            } else {
                words[w] &= !b;
            }
        }
    }

    /// Whether interrupt `irq` is enabled.
    pub fn irq_enabled(&self, irq: u16) -> bool {
        Self::get(&self.enabled, irq)
    }

    /// Whether interrupt `irq` is pending (raised, not yet in a list register).
    pub fn irq_pending(&self, irq: u16) -> bool {
        Self::get(&self.pending, irq)
    }

    /// Marks `irq` pending or not; out-of-range numbers are ignored.
    pub fn set_pending(&mut self, irq: u16, on: bool) {
        Self::put(&mut self.pending, irq, on);
    }

    /// Marks `irq` active (in a list register) or not.
    pub fn set_active(&mut self, irq: u16, on: bool) {
        Self::put(&mut self.active, irq, on);
    }

    /// Whether `irq` should go to the guest now: distributor on, enabled, pending.
    pub fn deliverable(&self, irq: u16) -> bool {
        self.is_enabled() && self.irq_enabled(irq) && self.irq_pending(irq)
    }

    /// The interrupts that should go to the guest now, lowest number first.
    pub fn deliverable_irqs(&self) -> impl Iterator<Item = u16> + '_ {
        (0..NUM_IRQS as u16).filter(|&irq| self.deliverable(irq))
    }

    /// `irq`'s priority as a list register holds it (the top 5 of its 8 bits).
    pub fn lr_priority(&self, irq: u16) -> u8 {
        self.priority.get(irq as usize).map_or(0, |p| p >> 3)
    }

    /// Reads `size` bytes (1, 2, 4 or 8) at `offset` in the distributor's window.
    pub fn read(&self, offset: u64, size: u8) -> u64 {
        let mut value = 0;
        for i in 0..size.min(8) as u64 {
            let at = offset.wrapping_add(i);
            let word = self.read_word((at & !3) as u32);
            let byte = (word >> (8 * (at & 3))) & 0xff;
            value |= (byte as u64) << (8 * i);
        }
        value
    }

    /// Writes the low `size` bytes of `value` at `offset` in the distributor's window.
    pub fn write(&mut self, offset: u64, size: u8, value: u64) -> WriteEffect {
        let mut effect = WriteEffect::None;
        let end = offset.saturating_add(size.min(8) as u64);
        let mut word_at = offset & !3;
        while word_at < end {
            let mut data = 0u32;
            let mut mask = 0u32;
            for byte in 0..4 {
                let at = word_at + byte;
                if at >= offset && at < end {
                    let b = (value >> (8 * (at - offset))) & 0xff;
                    data |= (b as u32) << (8 * byte);
                    mask |= 0xff << (8 * byte);
                }
            }
            if let Ok(off) = u32::try_from(word_at) {
                if let WriteEffect::Sgi(sgi) = self.write_word(off, data, mask) {
                    effect = WriteEffect::Sgi(sgi);
                }
            }
            word_at += 4;
        }
        effect
    }

    /// The 32-bit register at word offset `off`.
    fn read_word(&self, off: u32) -> u32 {
        let index = |base: u32| ((off - base) / 4) as usize;
        let bytes = |a: &[u8; NUM_IRQS], base: u32| {
            let i = (off - base) as usize;
            (0..4).fold(0u32, |w, k| {
                w | (a.get(i + k).copied().unwrap_or(0) as u32) << (8 * k)
            })
        };
        match off {
            CTLR => self.enabled_grp,
            TYPER => TYPER_VALUE,
            IIDR => IIDR_VALUE,
            IGROUPR..ISENABLER => self.group.get(index(IGROUPR)).copied().unwrap_or(0),
            ISENABLER..ICENABLER => self.enabled.get(index(ISENABLER)).copied().unwrap_or(0),
            ICENABLER..ISPENDR => self.enabled.get(index(ICENABLER)).copied().unwrap_or(0),
            ISPENDR..ICPENDR => self.pending.get(index(ISPENDR)).copied().unwrap_or(0),
            ICPENDR..ISACTIVER => self.pending.get(index(ICPENDR)).copied().unwrap_or(0),
            ISACTIVER..ICACTIVER => self.active.get(index(ISACTIVER)).copied().unwrap_or(0),
            ICACTIVER..IPRIORITYR => self.active.get(index(ICACTIVER)).copied().unwrap_or(0),
            IPRIORITYR..0x7fc => bytes(&self.priority, IPRIORITYR),
            // SGIs and PPIs (the first 32 bytes) always target the reading CPU: CPU 0.
            ITARGETSR..0x820 => 0x0101_0101,
            0x820..0xbfc => bytes(&self.targets, ITARGETSR),
            ICFGR => ICFGR_SGI,
            0xc04..0xd00 => self.config.get(index(ICFGR)).copied().unwrap_or(0),
            ID_REGS..0x1000 => ID_VALUES[index(ID_REGS)],
            _ => 0,
        }
    }

    /// Writes the bytes of `data` selected by `mask` into the register at `off`.
    fn write_word(&mut self, off: u32, data: u32, mask: u32) -> WriteEffect {
        let index = |base: u32| ((off - base) / 4) as usize;
        let set = data & mask;
        let rw = |old: u32| (old & !mask) | set;
        match off {
            CTLR => self.enabled_grp = rw(self.enabled_grp) & 1,
            IGROUPR..ISENABLER => {
                if let Some(w) = self.group.get_mut(index(IGROUPR)) {
                    *w = rw(*w);
                }
            }
            ISENABLER..ICENABLER => {
                if let Some(w) = self.enabled.get_mut(index(ISENABLER)) {
                    *w |= set;
                }
            }
            ICENABLER..ISPENDR => {
                if let Some(w) = self.enabled.get_mut(index(ICENABLER)) {
                    *w &= !set;
                }
            }
            ISPENDR..ICPENDR => {
                if let Some(w) = self.pending.get_mut(index(ISPENDR)) {
                    *w |= set;
                }
            }
            ICPENDR..ISACTIVER => {
                if let Some(w) = self.pending.get_mut(index(ICPENDR)) {
                    *w &= !set;
                }
            }
            IPRIORITYR..0x7fc => self.write_bytes(off - IPRIORITYR, data, mask, false),
            0x820..0xbfc => self.write_bytes(off - ITARGETSR, data, mask, true),
            0xc04..0xd00 => {
                if let Some(w) = self.config.get_mut(index(ICFGR)) {
                    // Only the odd bits (edge/level) are writable; the even ones are reserved.
                    *w = (*w & !(mask & 0xaaaa_aaaa)) | (set & 0xaaaa_aaaa);
                }
            }
            SGIR if mask & 0x0300_000f == 0x0300_000f => return self.sgi(data),
            _ => {}
        }
        WriteEffect::None
    }

    fn write_bytes(&mut self, first: u32, data: u32, mask: u32, targets: bool) {
        for k in 0..4 {
            let i = (first + k) as usize;
            if mask & (0xff << (8 * k)) == 0 {
                continue;
            }
            let byte = (data >> (8 * k)) as u8;
            let array = if targets {
                &mut self.targets
            } else {
                &mut self.priority
            };
            if let Some(b) = array.get_mut(i) {
                // One CPU interface: only the bit of CPU 0 exists in a target byte.
                *b = if targets { byte & 1 } else { byte };
            }
        }
    }

    /// `GICD_SGIR`: an SGI for this CPU if the filter or the target list names it.
    fn sgi(&mut self, data: u32) -> WriteEffect {
        let id = (data & 0xf) as u16;
        let to_self = match (data >> 24) & 3 {
            0 => (data >> 16) & 1 != 0,
            2 => true,
            // 1: every other CPU (there is none); 3: reserved.
            _ => false,
        };
        if to_self {
            self.set_pending(id, true);
            WriteEffect::Sgi(id)
        } else {
            WriteEffect::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identification_registers() {
        let d = Distributor::new();
        assert_eq!(d.read(0x004, 4), 4); // 160 interrupts, one CPU
        assert_eq!(d.read(0x008, 4), 0x0200_143b);
        assert_eq!(d.read(0xfe8, 4), 0x2b); // PIDR2: architecture version 2
        assert_eq!(d.read(0xff0, 4), 0x0d);
        assert_eq!(d.read(0xffc, 4), 0xb1);
        assert_eq!(d.read(0xfd0, 4), 0x04);
        // Reserved space and the rest of the 64 KiB window read as zero.
        assert_eq!(d.read(0x00c, 4), 0);
        assert_eq!(d.read(0x8000, 8), 0);
    }

    #[test]
    fn enables_set_and_clear_by_bit() {
        let mut d = Distributor::new();
        d.write(0x104, 4, 1 << 1); // ISENABLER1: SPI 33
        assert!(d.irq_enabled(33));
        assert_eq!(d.read(0x104, 4), 2);
        assert_eq!(d.read(0x184, 4), 2); // ICENABLER reads the same state
        d.write(0x100, 4, 1 << 27); // the timer PPI
        d.write(0x184, 4, 0); // clearing nothing changes nothing
        assert!(d.irq_enabled(33) && d.irq_enabled(27));
        d.write(0x184, 4, 1 << 1);
        assert!(!d.irq_enabled(33));
        // A byte write reaches the bits of its byte only.
        d.write(0x105, 1, 0x01); // bit 8 of ISENABLER1: IRQ 40
        assert!(d.irq_enabled(40));
    }

    #[test]
    fn control_register_and_pending() {
        let mut d = Distributor::new();
        d.write(0x104, 4, 2);
        d.set_pending(33, true);
        assert!(!d.deliverable(33), "distributor still off");
        d.write(0x000, 4, 1);
        assert!(d.is_enabled() && d.deliverable(33));
        assert_eq!(d.read(0x204, 4), 2);
        d.write(0x284, 4, 2); // ICPENDR
        assert!(!d.irq_pending(33));
        d.write(0x204, 4, 2); // ISPENDR
        assert!(d.irq_pending(33));
        assert_eq!(d.deliverable_irqs().collect::<std::vec::Vec<_>>(), [33]);
    }

    #[test]
    fn priorities_and_targets_by_byte() {
        let mut d = Distributor::new();
        d.write(0x400 + 27, 1, 0xa0);
        d.write(0x420, 4, 0x8070_6050); // IRQs 32..35
        assert_eq!(d.read(0x400 + 27, 1), 0xa0);
        assert_eq!(d.lr_priority(27), 0xa0 >> 3);
        assert_eq!(d.read(0x421, 1), 0x60);
        assert_eq!(d.read(0x420, 2), 0x6050);
        assert_eq!(d.read(0x420, 8), 0x8070_6050);
        // SGI/PPI targets are banked: CPU 0 reads its own bit, writes are ignored.
        assert_eq!(d.read(0x800, 1), 0x01);
        assert_eq!(d.read(0x81c, 4), 0x0101_0101);
        d.write(0x800, 4, 0);
        assert_eq!(d.read(0x800, 4), 0x0101_0101);
        // SPI targets keep CPU 0's bit only.
        d.write(0x821, 1, 0xff);
        assert_eq!(d.read(0x820, 4), 0x0000_0100);
        // Past the last interrupt: nothing.
        d.write(0x400 + 200, 1, 0xff);
        assert_eq!(d.read(0x400 + 200, 1), 0);
    }

    #[test]
    fn configuration_and_groups() {
        let mut d = Distributor::new();
        assert_eq!(d.read(0xc00, 4), 0xaaaa_aaaa);
        d.write(0xc00, 4, 0);
        assert_eq!(d.read(0xc00, 4), 0xaaaa_aaaa, "SGI configuration is fixed");
        d.write(0xc08, 4, 0xffff_ffff);
        assert_eq!(
            d.read(0xc08, 4),
            0xaaaa_aaaa,
            "only the odd bits are writable"
        );
        d.write(0x080, 4, 0xffff_0000);
        assert_eq!(d.read(0x080, 4), 0xffff_0000);
    }

    #[test]
    fn software_generated_interrupts_for_this_cpu() {
        let mut d = Distributor::new();
        // Filter 2 (self), SGI 5.
        assert_eq!(d.write(0xf00, 4, (2 << 24) | 5), WriteEffect::Sgi(5));
        assert!(d.irq_pending(5));
        // Filter 0 with CPU 0 in the list, SGI 3.
        assert_eq!(d.write(0xf00, 4, (1 << 16) | 3), WriteEffect::Sgi(3));
        // Filter 0 naming only other CPUs, and filter 1 (others): nothing.
        assert_eq!(d.write(0xf00, 4, (2 << 16) | 4), WriteEffect::None);
        assert_eq!(d.write(0xf00, 4, (1 << 24) | 4), WriteEffect::None);
        assert!(!d.irq_pending(4));
        // The register is write-only.
        assert_eq!(d.read(0xf00, 4), 0);
    }

    extern crate std;
}
