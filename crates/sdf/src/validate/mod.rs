//! Checks a parsed description against the Microkit rules and a board.
//!
//! Each rule is one function that appends what it finds; all rules run, so the
//! user sees every problem at once. Rules skip elements another rule already
//! reports (an unknown memory region is not also "misaligned"), so one mistake
//! gives one message.

mod capacity;
mod disjoint;
mod ids;
mod irqs;
mod maps;
mod names;
mod ports;
mod regions;
mod scheduling;
mod vms;

use std::collections::HashMap;

use sysinit_board::Board;

use crate::error::{SdfError, SdfErrors};
use crate::model::{ChannelEnd, MemoryRegion, ProtectionDomain, SystemDescription};

/// The limits the rules enforce, for tools that generate descriptions.
pub mod limits {
    use sysinit_board::Board;

    /// Highest PD and VM priority (Microkit keeps 255 for its monitor).
    pub const MAX_PRIORITY: u64 = 254;
    /// Highest channel id; interrupts share the channel ids of their PD.
    /// Microkit's tool and libmicrokit stop at 61 (62 channels; the manual's
    /// "less than 63" is one more than they accept). The PD runtime's cap slots
    /// and badges (pd-abi) are laid out for exactly these ids: one source.
    pub const MAX_CHANNEL_ID: u64 = sysinit_pd_abi::MAX_CHANNEL_ID;
    /// Highest I/O port id, as for channels; one cap slot per id in pd-abi.
    pub const MAX_IOPORT_ID: u64 = sysinit_pd_abi::MAX_CHANNEL_ID;
    /// Highest child PD id and vCPU id; they share one namespace per parent
    /// (the manual: vCPU ids "less than 62"). The VMM's cap slots for VM TCBs and
    /// vCPUs (pd-abi `BASE_VM_TCB_CAP + id`, `BASE_VCPU_CAP + id`) are laid out
    /// for the channel ids' range, so it is the same constant.
    pub const MAX_CHILD_ID: u64 = sysinit_pd_abi::MAX_CHANNEL_ID;
    /// Most protection domains in one system (the manual).
    pub const MAX_PROTECTION_DOMAINS: usize = 63;
    /// Smallest PD stack (the manual: 4 KiB).
    pub const MIN_STACK_SIZE: u64 = 0x1000;
    /// Largest PD stack (the manual: 16 MiB).
    pub const MAX_STACK_SIZE: u64 = 0x100_0000;
    /// Stack sizes are whole small pages.
    pub const STACK_SIZE_ALIGN: u64 = sysinit_pd_abi::PAGE_SIZE;
    /// End of the x86 I/O port space.
    pub const IO_PORT_END: u64 = 0x1_0000;

    /// Address of a PD's IPC buffer ([`sysinit_pd_abi::ipc_buffer_vaddr`]).
    pub fn pd_ipc_buffer(board: &Board) -> u64 {
        sysinit_pd_abi::ipc_buffer_vaddr(board.arch())
    }

    /// Top of a PD's stack ([`sysinit_pd_abi::stack_top`]): a guard page below the IPC buffer.
    pub fn pd_stack_top(board: &Board) -> u64 {
        sysinit_pd_abi::stack_top(board.arch())
    }

    /// First address a PD's maps may not reach: the guard page below its stack
    /// ([`sysinit_pd_abi::stack_region_bottom`]).
    pub fn pd_map_limit(board: &Board, stack_size: u64) -> u64 {
        sysinit_pd_abi::stack_region_bottom(board.arch(), stack_size)
    }
}

/// What every rule needs: the description, the board and some lookups.
pub(crate) struct Ctx<'a> {
    pub(crate) description: &'a SystemDescription,
    pub(crate) board: &'a Board,
    /// Every PD, parents first, with its parent.
    pub(crate) pds: Vec<(&'a ProtectionDomain, Option<&'a ProtectionDomain>)>,
    /// Page sizes in bytes, smallest first.
    pub(crate) page_sizes: Vec<u64>,
    /// The first memory region of each name (lookups stay O(1) for large systems).
    mrs: HashMap<&'a str, &'a MemoryRegion>,
    /// The first protection domain of each name.
    pds_by_name: HashMap<&'a str, &'a ProtectionDomain>,
    /// Every channel end, by the name of its PD, in file order.
    ends_by_pd: HashMap<&'a str, Vec<&'a ChannelEnd>>,
}

impl<'a> Ctx<'a> {
    fn new(description: &'a SystemDescription, board: &'a Board) -> Self {
        let pds = description.all_protection_domains();
        let mut mrs = HashMap::new();
        for mr in &description.memory_regions {
            mrs.entry(mr.name.as_str()).or_insert(mr);
        }
        let mut pds_by_name = HashMap::new();
        for (pd, _) in &pds {
            pds_by_name.entry(pd.name.as_str()).or_insert(*pd);
        }
        let mut ends_by_pd: HashMap<&str, Vec<&ChannelEnd>> = HashMap::new();
        for end in description.channels.iter().flat_map(|c| c.ends.iter()) {
            ends_by_pd.entry(end.pd.as_str()).or_default().push(end);
        }
        Ctx {
            description,
            board,
            pds,
            page_sizes: board.page_size_bits().iter().map(|b| 1u64 << b).collect(),
            mrs,
            pds_by_name,
            ends_by_pd,
        }
    }

    /// The first memory region called `name`.
    pub(crate) fn mr(&self, name: &str) -> Option<&'a MemoryRegion> {
        self.mrs.get(name).copied()
    }

    /// The first protection domain called `name`.
    pub(crate) fn pd(&self, name: &str) -> Option<&'a ProtectionDomain> {
        self.pds_by_name.get(name).copied()
    }

    /// The channel ends of the PD called `name`, in file order.
    pub(crate) fn ends_of(&self, name: &str) -> &[&'a ChannelEnd] {
        self.ends_by_pd.get(name).map_or(&[], Vec::as_slice)
    }

    /// The page size of `mr` in bytes, if it is one the board supports
    /// (the smallest when the region does not say).
    pub(crate) fn page_size(&self, mr: &MemoryRegion) -> Option<u64> {
        let size = mr.page_size.unwrap_or(self.page_sizes[0]);
        self.page_sizes.contains(&size).then_some(size)
    }

    /// The page size of `mr` if the region itself is sound (supported page
    /// size, non-zero whole number of pages); rules about its uses need that.
    pub(crate) fn sound_page_size(&self, mr: &MemoryRegion) -> Option<u64> {
        let page = self.page_size(mr)?;
        (mr.size > 0 && mr.size.is_multiple_of(page)).then_some(page)
    }
}

pub(crate) fn validate(description: &SystemDescription, board: &Board) -> Result<(), SdfErrors> {
    let ctx = Ctx::new(description, board);
    let mut errors: Vec<SdfError> = Vec::new();
    let rules: [fn(&Ctx<'_>, &mut Vec<SdfError>); 36] = [
        names::check_protection_domain_count,
        names::check_duplicate_names,
        names::check_duplicate_channel_ids,
        names::check_duplicate_child_ids,
        names::check_duplicate_ioport_ids,
        names::check_duplicate_symbols,
        names::check_references,
        ids::check_id_ranges,
        scheduling::check_priorities,
        scheduling::check_ppc_priorities,
        scheduling::check_pp_both_ends,
        scheduling::check_budget_period,
        scheduling::check_mcs_attributes,
        scheduling::check_stack_sizes,
        scheduling::check_cpus,
        vms::check_virtual_machines_supported,
        vms::check_reserved_maps,
        vms::check_guest_device_trees,
        vms::check_initrds,
        vms::check_prefills,
        regions::check_page_sizes,
        regions::check_region_sizes,
        regions::check_fixed_addresses,
        capacity::check_region_capacity,
        regions::check_ram_flag_needs_phys_addr,
        regions::check_setvar_paddr_known,
        maps::check_map_alignment,
        maps::check_map_bounds,
        maps::check_map_overlaps,
        maps::check_device_maps_uncached,
        irqs::check_irq_kinds_on_board,
        irqs::check_irq_ranges,
        irqs::check_kernel_irqs,
        irqs::check_duplicate_irqs,
        ports::check_ioports_on_board,
        ports::check_ioport_ranges_and_overlaps,
    ];
    for rule in rules {
        rule(&ctx, &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(SdfErrors::sorted(errors))
    }
}
