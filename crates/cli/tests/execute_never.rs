//! Mappings without `x`: execute-never where the kernel can (aarch64), a warning where it
//! cannot (seL4 on x86_64 never sets XD), and the spec says which mappings are executable.

use std::path::Path;
use std::process::Command;

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
        .to_string_lossy()
        .into_owned()
}

fn check(system: &str, board: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sysinit"))
        .args(["check", &repo(system), "--board", board])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn x86_64_warns_about_each_map_without_x() {
    let (ok, stderr) = check("specs/boot-ivshmem-x86_64.system", "qemu-x86_64");
    assert!(ok, "a warning is not an error: {stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("sysinit: warning: "))
        .collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    let expected = format!(
        "sysinit: warning: {}:22:9: <map mr=\"pci_ecam\"> of protection domain 'ivshmem_driver' \
         has no \"x\" in perms, but seL4 on x86_64 never sets the XD bit: the mapping stays \
         executable (only aarch64 makes it execute-never)",
        repo("specs/boot-ivshmem-x86_64.system")
    );
    assert_eq!(warnings[0], expected);
}

#[test]
fn aarch64_does_not_warn() {
    let (ok, stderr) = check("specs/boot-ivshmem-aarch64.system", "qemu-aarch64-virt");
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}

/// The initializer asks the kernel for each mapping with the spec's execute attribute
/// (the root task turns `false` into `seL4_ARM_ExecuteNever` on aarch64): recorded
/// around the host kernel model, booting the aarch64 example spec.
mod initializer_passes_executable {
    use sysinit_initializer::{initialize, slots_needed, CapData, Kernel, SlotLayout, ThreadStart};
    use sysinit_kobj::ObjectType;
    use sysinit_sim::{ModelKernel, ModelKernelError};
    use sysinit_spec::{IrqSource, Object, Rights, Spec};

    /// The model kernel, recording `(vaddr, executable)` of every frame mapping.
    struct Recording {
        inner: ModelKernel,
        maps: Vec<(u64, bool)>,
    }

    type R = Result<(), ModelKernelError>;

    impl Kernel for Recording {
        type Error = ModelKernelError;
        fn untyped_retype(&mut self, src: u64, ty: ObjectType, arg: u8, dest: u64, n: u32) -> R {
            self.inner.untyped_retype(src, ty, arg, dest, n)
        }
        fn frame_paddr(&mut self, frame: u64) -> Result<u64, ModelKernelError> {
            self.inner.frame_paddr(frame)
        }
        fn cnode_mint(&mut self, c: u64, i: u64, d: u8, s: u64, r: Rights, data: CapData) -> R {
            self.inner.cnode_mint(c, i, d, s, r, data)
        }
        fn root_cnode(&self) -> u64 {
            self.inner.root_cnode()
        }
        fn asid_assign(&mut self, vspace: u64) -> R {
            self.inner.asid_assign(vspace)
        }
        fn map_table(&mut self, table: u64, level: u8, vspace: u64, vaddr: u64) -> R {
            self.inner.map_table(table, level, vspace, vaddr)
        }
        fn map_frame(&mut self, _: u64, _: u64, vaddr: u64, _: Rights, _: bool) -> R {
            panic!("the initializer mapped {vaddr:#x} without saying whether it is executable")
        }
        fn map_frame_executable(
            &mut self,
            frame: u64,
            vspace: u64,
            vaddr: u64,
            rights: Rights,
            cached: bool,
            executable: bool,
        ) -> R {
            self.maps.push((vaddr, executable));
            self.inner.map_frame(frame, vspace, vaddr, rights, cached)
        }
        fn write_frame(&mut self, frame: u64, bits: u8, offset: u64, data: &[u8]) -> R {
            self.inner.write_frame(frame, bits, offset, data)
        }
        fn tcb_configure(
            &mut self,
            tcb: u64,
            fault_ep: u64,
            cspace: u64,
            data: CapData,
            vspace: u64,
            ipc_vaddr: u64,
            ipc: Option<u64>,
        ) -> R {
            self.inner
                .tcb_configure(tcb, fault_ep, cspace, data, vspace, ipc_vaddr, ipc)
        }
        fn tcb_set_sched_params(&mut self, tcb: u64, max: u8, prio: u8) -> R {
            self.inner.tcb_set_sched_params(tcb, max, prio)
        }
        fn tcb_write_registers(&mut self, tcb: u64, start: ThreadStart<'_>) -> R {
            self.inner.tcb_write_registers(tcb, start)
        }
        fn tcb_bind_notification(&mut self, tcb: u64, ntfn: u64) -> R {
            self.inner.tcb_bind_notification(tcb, ntfn)
        }
        fn vcpu_set_tcb(&mut self, vcpu: u64, tcb: u64) -> R {
            self.inner.vcpu_set_tcb(vcpu, tcb)
        }
        fn tcb_resume(&mut self, tcb: u64) -> R {
            self.inner.tcb_resume(tcb)
        }
        fn irq_get(&mut self, irq: &IrqSource, dest: u64) -> R {
            self.inner.irq_get(irq, dest)
        }
        fn irq_set_notification(&mut self, handler: u64, ntfn: u64) -> R {
            self.inner.irq_set_notification(handler, ntfn)
        }
        fn ioports_issue(&mut self, first: u16, last: u16, dest: u64) -> R {
            self.inner.ioports_issue(first, last, dest)
        }
    }

    #[test]
    fn every_frame_mapping_carries_the_specs_execute_attribute() {
        let text = std::fs::read_to_string(super::repo("specs/example-aarch64.json")).unwrap();
        let spec = Spec::from_json(&text).unwrap();
        let board = sysinit_board::Board::by_name("qemu-aarch64-virt").unwrap();
        let memory = board.boot_memory(board.default_ram_bytes()).unwrap();
        let untypeds = sysinit_model::boot_untypeds(spec.arch, &memory, usize::MAX)
            .unwrap()
            .untypeds;
        let (reqs, _) = sysinit_initializer::requests(&spec);
        let plan = sysinit_planner::plan(spec.arch, &untypeds, &reqs).unwrap();
        let first_free = untypeds.len() as u64;
        let end_free = first_free + slots_needed(&spec, &plan);
        let mut kernel = Recording {
            inner: ModelKernel(sysinit_model::KernelModel::new(
                spec.arch,
                &untypeds,
                end_free as usize,
            )),
            maps: Vec::new(),
        };
        let layout = SlotLayout {
            first_untyped: 0,
            first_free,
            end_free,
        };
        initialize(&spec, &untypeds, layout, &mut kernel, |_| {}).unwrap();

        let mut expected: Vec<(u64, bool)> = spec
            .iter()
            .filter(|(_, o)| matches!(o.object, Object::VSpace(_)))
            .flat_map(|(id, _)| spec.vspace_mappings(id))
            .filter(|m| m.is_frame)
            .map(|m| (m.vaddr, m.cap.executable))
            .collect();
        let mut got = kernel.maps;
        expected.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, expected);
        // Both kinds occur: program text is executable, data, stacks and devices are not.
        assert!(
            got.iter().any(|m| m.1) && got.iter().any(|m| !m.1),
            "{got:x?}"
        );
    }
}
