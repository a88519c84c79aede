//! `sysinit check` and `sysinit build`: a system description to a spec, a report and an image.

use std::path::{Path, PathBuf};

use sysinit_board::{Board, RootTaskImage};
use sysinit_builder::BuiltSystem;
use sysinit_initializer::{requests, slots_needed};

use crate::build_report::report;
use crate::input::board_untypeds;
use crate::overwrite::refuse_overwriting;
use crate::system::{board, build_from_description, parse, warn_executable_maps};
use crate::units::Bytes;
use crate::{BuildArgs, CheckArgs, CliError};

/// `sysinit check`: every problem, no program images needed.
pub fn check(args: &CheckArgs) -> Result<(), CliError> {
    let board = board(&args.board, args.ram)?;
    let description = parse(&args.system)?;
    sysinit_builder::check(&description, &board).map_err(CliError::Invalid)?;
    warn_executable_maps(&description, &board);
    println!(
        "{}: valid on board {} ({} PDs, {} memory regions, {} channels)",
        args.system.display(),
        board.name(),
        description.all_protection_domains().len(),
        description.memory_regions.len(),
        description.channels.len()
    );
    Ok(())
}

fn write(path: PathBuf, bytes: &[u8]) -> Result<PathBuf, CliError> {
    std::fs::write(&path, bytes).map_err(|source| CliError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// The root task ELF given with `--roottask`, and the board booting it.
///
/// The board lays out boot memory for the ELF's own virtual span, so the
/// placements in report.txt are where this root task's boot puts every object.
fn read_roottask(path: &Path, board: Board) -> Result<(Vec<u8>, Board), CliError> {
    let elf = crate::input::read_bytes(path)?;
    let image = RootTaskImage::from_elf(&elf, board.arch()).map_err(|e| CliError::Read {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })?;
    let name = board.name().to_string();
    let board = board
        .with_root_task_image(image)
        .map_err(|source| CliError::Board {
            board: name,
            source,
        })?;
    Ok((elf, board))
}

/// Every file `build` writes.
fn outputs(args: &BuildArgs, built: &BuiltSystem) -> Vec<PathBuf> {
    let mut files: Vec<String> = ["spec.json", "spec.bin", "report.txt"]
        .map(String::from)
        .to_vec();
    if args.roottask.is_some() {
        files.push("image.elf".into());
    }
    files.extend(built.guest_device_trees.keys().map(|vm| dtb_file(vm)));
    files.iter().map(|f| args.output.join(f)).collect()
}

/// The file a VM's generated device tree is written to, for `dtc -I dtb`.
fn dtb_file(vm: &str) -> String {
    format!("{vm}.dtb")
}

/// Every file `build` read, with what it is.
fn inputs<'a>(args: &'a BuildArgs, built: &'a BuiltSystem) -> Vec<(String, &'a Path)> {
    let mut inputs = vec![("the system description".to_string(), args.system.as_path())];
    if let Some(roottask) = &args.roottask {
        inputs.push(("the root task (--roottask)".to_string(), roottask));
    }
    for pd in &built.pds {
        if let Some(image) = &pd.image {
            inputs.push((format!("the program image of PD '{}'", pd.name), image));
        }
    }
    inputs
}

/// `sysinit build`: spec.json, spec.bin, report.txt, `<vm>.dtb` for each generated
/// guest device tree and, with `--roottask`, image.elf.
pub fn build(args: &BuildArgs) -> Result<(), CliError> {
    let board = board(&args.board, args.ram)?;
    let (roottask_elf, board) = match &args.roottask {
        Some(path) => {
            let (elf, board) = read_roottask(path, board)?;
            (Some(elf), board)
        }
        None => (None, board),
    };
    let built = build_from_description(&args.system, &board, &args.search_path)?;
    refuse_overwriting(
        &format!("-o {}", args.output.display()),
        &outputs(args, &built),
        &inputs(args, &built),
        "an output directory (-o) holding none of the inputs",
    )?;
    let spec = &built.spec;
    let binary = spec.to_postcard();
    let ram = args.ram.unwrap_or(board.default_ram_bytes());
    // The machine note lets the runners boot with the RAM the spec was built for.
    let note = sysinit_image::MachineNote {
        board: board.name().to_string(),
        ram_bytes: ram,
    };
    let elf = args.roottask.as_deref().zip(roottask_elf.as_deref());
    // Everything is decided before anything is written: a system that does not fit or
    // cannot be planned leaves the output directory as it was. The JSON text is the
    // slowest output for big systems and independent of the sizing, so it is made on a
    // second core meanwhile.
    let (json, sized) = std::thread::scope(|scope| {
        let json = scope.spawn(|| spec.to_json_pretty());
        let sized = size_roottask(
            &args.system,
            &board,
            ram,
            spec,
            &binary,
            Stamp {
                note: &note,
                trace: args.trace.into(),
            },
            elf,
        );
        (json.join(), sized)
    });
    let sized = sized?;
    let json_path = args.output.join("spec.json");
    let json = json.map_err(|_| CliError::Write {
        path: json_path.clone(),
        source: std::io::Error::other("the JSON writer thread panicked"),
    })?;
    std::fs::create_dir_all(&args.output).map_err(|source| CliError::Write {
        path: args.output.clone(),
        source,
    })?;
    write(json_path, json.as_bytes())?;
    write_plan_outputs(args, &built, &binary, ram, &sized)
}

/// Heap arenas are whole pages (the image's frames are).
const PAGE: u64 = 4096;

/// The steps in which a refusal looks for the least RAM that would hold the system.
const RAM_STEP: u64 = 64 << 20;

/// How many of the spec's objects the planner puts in RAM (every object not bound to
/// device memory), and their bytes.
fn ram_objects(spec: &sysinit_spec::Spec) -> (usize, u64) {
    let (reqs, _) = requests(spec);
    reqs.iter()
        .filter(|r| !r.device)
        .fold((0, 0u64), |(n, bytes), r| {
            let bits = r.ty.size_bits(spec.arch, r.size_arg).unwrap_or(0);
            (n + 1, bytes.saturating_add(1u64 << bits))
        })
}

/// A system that does not fit the board's RAM, with every part of what it needs.
#[derive(Debug)]
pub struct DoesNotFit {
    /// The system description.
    pub system: PathBuf,
    /// The board.
    pub board: String,
    /// Its RAM size.
    pub ram: u64,
    /// What the system takes and what the board has.
    pub need: sysinit_board::RamNeed,
    /// Bytes of spec in the root task image.
    pub spec_bytes: u64,
    /// Bytes of heap in it (0 before the heap was measured).
    pub heap_bytes: u64,
    /// The system's objects in RAM.
    pub objects: usize,
    /// The least RAM size of the board that holds it, if any.
    pub least_ram: Option<u64>,
}

impl std::fmt::Display for DoesNotFit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (board, need, spec_bytes, objects) =
            (&self.board, &self.need, self.spec_bytes, self.objects);
        let heap = if self.heap_bytes == 0 {
            "its heap not yet measured".to_string()
        } else {
            format!("a heap of {} bytes", self.heap_bytes)
        };
        let dtb = if need.device_tree > 0 {
            format!("the device tree {} bytes, ", need.device_tree)
        } else {
            String::new()
        };
        let valid = match self.least_ram {
            Some(r) if r % (1 << 30) == 0 => {
                format!("--ram {}G or more, or a smaller system", r >> 30)
            }
            Some(r) => format!("--ram {}M or more, or a smaller system", r >> 20),
            None => format!("a smaller system (no RAM size board {board} supports holds this one)"),
        };
        write!(
            f,
            "{}: the system does not fit board {board} with {} of RAM: it needs {} bytes ({}), \
             the board has {} bytes ({}) of RAM for the kernel and user level; needed: the kernel \
             image {} bytes, {dtb}the root task image {} bytes (its code, stack, a spec of \
             {spec_bytes} bytes and {heap}), the root task's kernel objects {} bytes, the \
             system's {objects} objects in RAM {} bytes; valid: {valid}; nothing was written",
            self.system.display(),
            Bytes(self.ram),
            need.needed(),
            Bytes(need.needed()),
            need.available,
            Bytes(need.available),
            need.kernel,
            need.root_task,
            need.root_server_objects,
            need.objects,
        )
    }
}

/// Refuses a system that does not fit the board's RAM with this root task: the board's
/// image (plus `extra_root_task` bytes it does not hold yet) with `heap` bytes of heap, and
/// the system's `objects` (count and bytes) in RAM.
fn fits(
    system: &Path,
    board: &Board,
    ram: u64,
    objects: (usize, u64),
    binary: &[u8],
    heap: u64,
    extra_root_task: u64,
) -> Result<(), CliError> {
    let mut need = board
        .ram_need(ram, objects.1)
        .map_err(|source| CliError::Board {
            board: board.name().to_string(),
            source,
        })?;
    need.root_task = need.root_task.saturating_add(extra_root_task);
    if need.fits() {
        return Ok(());
    }
    Err(CliError::DoesNotFit(Box::new(DoesNotFit {
        system: system.to_path_buf(),
        board: board.name().to_string(),
        ram,
        need,
        spec_bytes: binary.len() as u64,
        heap_bytes: heap,
        objects: objects.0,
        least_ram: board.least_ram_for(&need, RAM_STEP),
    })))
}

/// Rounds of heap sizing before giving up; two suffice unless the heap's own pages
/// change the boot memory enough to change the heap need, which settles in one more.
const SIZING_ROUNDS: usize = 8;

/// The root task as `build` sized it.
pub struct RootTask {
    /// The image with the spec and the heap (with `--roottask`).
    pub image: Option<Vec<u8>>,
    /// The board, with the image's span when there is an image.
    pub board: Board,
    /// The plan for them.
    pub plan: sysinit_planner::Plan,
    /// Bytes of spec embedded.
    pub spec_bytes: u64,
    /// The root task's heap peak, measured on the host (bytes).
    pub heap_peak: u64,
    /// Bytes of heap arena in the image: the peak rounded up to a page.
    pub heap_bytes: u64,
}

/// What `sysinit build` writes into the root task beside the spec.
struct Stamp<'a> {
    /// The board and RAM the spec was built for (the machine note after the spec).
    note: &'a sysinit_image::MachineNote,
    /// What the root task prints (`--trace`).
    trace: sysinit_image::TraceLevel,
}

/// Sizes the root task's heap for `binary` (the postcard spec) and, given the root task
/// ELF, embeds spec and heap: the heap need depends on the boot untyped list, which
/// depends on the image's span, which grows with the heap, so this repeats (growing the
/// heap only) until the image holds at least what its own boot needs.
fn size_roottask(
    system: &Path,
    board: &Board,
    ram: u64,
    spec: &sysinit_spec::Spec,
    binary: &[u8],
    stamp: Stamp<'_>,
    elf: Option<(&Path, &[u8])>,
) -> Result<RootTask, CliError> {
    let Stamp { note, trace } = stamp;
    let mut heap = 0;
    let mut need = 0;
    let (ram_objects, ram_object_bytes) = ram_objects(spec);
    // What the planner is asked for depends on the spec only, not on the round.
    let (reqs, _) = requests(spec);
    for _ in 0..SIZING_ROUNDS {
        let (image, board) =
            match elf {
                Some((path, elf)) => {
                    let image = sysinit_image::embed(elf, binary, Some(note), heap, trace)
                        .map_err(|source| CliError::Image {
                            path: path.to_path_buf(),
                            source,
                        })?;
                    let span = RootTaskImage::from_elf(&image, board.arch()).map_err(|e| {
                        CliError::Read {
                            path: path.to_path_buf(),
                            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                        }
                    })?;
                    let name = board.name().to_string();
                    let board = board.clone().with_root_task_image(span).map_err(|source| {
                        CliError::Board {
                            board: name,
                            source,
                        }
                    })?;
                    (Some(image), board)
                }
                None => (None, board.clone()),
            };
        // The image of this round holds the spec and `heap` bytes of heap.
        fits(
            system,
            &board,
            ram,
            (ram_objects, ram_object_bytes),
            binary,
            heap,
            0,
        )?;
        let (untypeds, _) = board_untypeds(&board, ram)?;
        let plan = sysinit_planner::plan(spec.kernel(), &untypeds, &reqs)
            .map_err(|e| CliError::Sim(sysinit_sim::SimError::Plan(e)))?;
        // The root task puts every cap in its root CNode beside what seL4 left there at
        // boot: refuse here what would stop the real boot (simulate checks the same).
        let root = board.root_cnode_at_boot(untypeds.len());
        root.check(slots_needed(spec, &plan))
            .map_err(|e| CliError::Sim(sysinit_sim::SimError::RootCNode(e)))?;
        let peak = sysinit_sim::roottask_heap(binary, &untypeds, root).map_err(CliError::Heap)?;
        need = (peak as u64).next_multiple_of(PAGE);
        if image.is_none() {
            // No image: the board's estimate of the root task has neither spec nor heap.
            let extra = (binary.len() as u64).next_multiple_of(PAGE) + need;
            fits(
                system,
                &board,
                ram,
                (ram_objects, ram_object_bytes),
                binary,
                need,
                extra,
            )?;
        }
        if image.is_none() || need <= heap {
            return Ok(RootTask {
                image,
                board,
                plan,
                spec_bytes: binary.len() as u64,
                heap_peak: peak as u64,
                heap_bytes: if elf.is_some() { heap } else { need },
            });
        }
        heap = need;
    }
    Err(CliError::HeapUnsettled {
        rounds: SIZING_ROUNDS,
        heap: need,
        had: heap,
    })
}

/// spec.bin, report.txt, image.elf and the summary line.
fn write_plan_outputs(
    args: &BuildArgs,
    built: &BuiltSystem,
    binary: &[u8],
    ram: u64,
    sized: &RootTask,
) -> Result<(), CliError> {
    let spec = &built.spec;
    write(args.output.join("spec.bin"), binary)?;
    let (_, ids) = requests(spec);
    let placements: Vec<(sysinit_spec::ObjectId, u64)> = ids
        .iter()
        .copied()
        .zip(sized.plan.placements.iter().copied())
        .collect();
    let footprint = Footprint::of(sized);
    let report = report(
        &args.system,
        &sized.board,
        ram,
        args.roottask.as_deref(),
        &footprint,
        built,
        &placements,
    );
    write(args.output.join("report.txt"), report.as_bytes())?;
    for (vm, dtb) in &built.guest_device_trees {
        write(args.output.join(dtb_file(vm)), dtb)?;
    }
    if let Some(image) = &sized.image {
        write(args.output.join("image.elf"), image)?;
    }
    let dtbs: String = built
        .guest_device_trees
        .keys()
        .map(|vm| format!(", {}", dtb_file(vm)))
        .collect();
    eprintln!(
        "sysinit: wrote {}: spec.json, spec.bin ({}), report.txt{}{dtbs}; {} objects, {} of program data, {} retypes planned",
        args.output.display(),
        Bytes(binary.len() as u64),
        if args.roottask.is_some() { ", image.elf" } else { "" },
        spec.objects.len(),
        Bytes(spec.blob.len() as u64),
        sized.plan.stats.retypes
    );
    eprintln!("sysinit: {footprint}");
    eprintln!(
        "sysinit: built for board {} with {} of RAM; boot it with exactly that much \
         (the qemu/ runners read it from the image)",
        sized.board.name(),
        Bytes(ram)
    );
    Ok(())
}

/// The root task's footprint, as `build` prints it and writes it in report.txt.
pub struct Footprint {
    /// Bytes of image.elf (with `--roottask`).
    pub file_bytes: Option<u64>,
    /// The span the kernel loads: the image's, or the board's estimate.
    pub span: RootTaskImage,
    /// Whether `span` is the real image's.
    pub measured_span: bool,
    /// Bytes of spec embedded.
    pub spec_bytes: u64,
    /// Heap arena bytes (page-rounded peak).
    pub heap_bytes: u64,
    /// The measured peak.
    pub heap_peak: u64,
}

impl Footprint {
    fn of(sized: &RootTask) -> Footprint {
        Footprint {
            file_bytes: sized.image.as_ref().map(|i| i.len() as u64),
            span: sized.board.root_task_image(),
            measured_span: sized.image.is_some(),
            spec_bytes: sized.spec_bytes,
            heap_bytes: sized.heap_bytes,
            heap_peak: sized.heap_peak,
        }
    }
}

impl std::fmt::Display for Footprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "root task footprint: ")?;
        match self.file_bytes {
            Some(n) => write!(f, "file {n} bytes ({}), ", Bytes(n))?,
            None => write!(f, "no image (give --roottask), ")?,
        }
        write!(
            f,
            "loaded [{:#x}..{:#x}) = {} bytes ({}){}, spec {} bytes ({}), heap {} bytes ({}; \
             measured peak {} bytes)",
            self.span.vaddr_start(),
            self.span.vaddr_end(),
            self.span.bytes(),
            Bytes(self.span.bytes()),
            if self.measured_span {
                ""
            } else {
                " as the board estimates"
            },
            self.spec_bytes,
            Bytes(self.spec_bytes),
            self.heap_bytes,
            Bytes(self.heap_bytes),
            self.heap_peak
        )
    }
}
