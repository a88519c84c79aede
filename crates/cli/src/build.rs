//! `sysinit check` and `sysinit build`: a system description to a spec, a report and an image.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sysinit_board::{Board, RootTaskImage};
use sysinit_builder::{BuiltSystem, MappingSource};
use sysinit_initializer::requests;
use sysinit_spec::{Object, Spec};

use crate::input::board_untypeds;
use crate::report::Bytes;
use crate::{BuildArgs, CheckArgs, CliError};

/// The board, at the RAM size asked for.
pub fn board(name: &str, ram: Option<u64>) -> Result<Board, CliError> {
    let board = Board::by_name(name).map_err(|source| CliError::Board {
        board: name.to_string(),
        source,
    })?;
    match ram {
        Some(bytes) => board
            .with_ram_bytes(bytes)
            .map_err(|source| CliError::Board {
                board: name.to_string(),
                source,
            }),
        None => Ok(board),
    }
}

fn parse(system: &Path) -> Result<sysinit_sdf::SystemDescription, CliError> {
    sysinit_sdf::parse_file(system).map_err(|e| CliError::Invalid(e.into()))
}

/// Where program images are looked for: the description's directory, then `--search-path`s.
pub fn search_paths(system: &Path, extra: &[PathBuf]) -> Vec<PathBuf> {
    let own = match system.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::iter::once(own).chain(extra.iter().cloned()).collect()
}

/// Parses, validates and builds `system` on `board`: the spec `simulate` and `build` use.
pub fn build_from_description(
    system: &Path,
    board: &Board,
    extra_search: &[PathBuf],
) -> Result<BuiltSystem, CliError> {
    let description = parse(system)?;
    let search = search_paths(system, extra_search);
    eprintln!(
        "sysinit: building {} ({} PDs, {} memory regions) for board {}",
        system.display(),
        description.all_protection_domains().len(),
        description.memory_regions.len(),
        board.name()
    );
    warn_executable_maps(&description, board);
    sysinit_builder::build_system(&description, board, &search).map_err(CliError::Invalid)
}

/// On x86_64, one warning per `<map>` without `x`: seL4 never sets the XD bit there, so
/// such a mapping stays executable (aarch64 maps it execute-never). Not an error: the
/// system works, it is only less protected than its description says.
fn warn_executable_maps(description: &sysinit_sdf::SystemDescription, board: &Board) {
    if board.arch() != sysinit_spec::Arch::X86_64 {
        return;
    }
    for (pd, _) in description.all_protection_domains() {
        for map in pd.maps.iter().filter(|m| !m.perms.execute) {
            eprintln!(
                "sysinit: warning: {}: <map mr=\"{}\"> of protection domain '{}' has no \"x\" \
                 in perms, but seL4 on x86_64 never sets the XD bit: the mapping stays \
                 executable (only aarch64 makes it execute-never)",
                map.location, map.mr, pd.name
            );
        }
    }
}

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
    let elf = std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
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

/// `sysinit build`: spec.json, spec.bin, report.txt and, with `--roottask`, image.elf.
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
    let spec = &built.spec;
    std::fs::create_dir_all(&args.output).map_err(|source| CliError::Write {
        path: args.output.clone(),
        source,
    })?;
    // The JSON text is the slowest output for big systems; it is independent of the
    // plan and the report, so it is made on a second core meanwhile.
    let json_path = args.output.join("spec.json");
    std::thread::scope(|scope| {
        let json = scope.spawn(|| write(json_path.clone(), spec.to_json_pretty().as_bytes()));
        let rest = write_plan_outputs(args, &board, &built, roottask_elf.as_deref());
        let json = json.join().unwrap_or_else(|_| {
            Err(CliError::Write {
                path: json_path.clone(),
                source: std::io::Error::other("the JSON writer thread panicked"),
            })
        });
        json.and(rest).map(|_| ())
    })
}

/// spec.bin, report.txt, image.elf and the summary line.
fn write_plan_outputs(
    args: &BuildArgs,
    board: &Board,
    built: &BuiltSystem,
    roottask_elf: Option<&[u8]>,
) -> Result<(), CliError> {
    let spec = &built.spec;
    let binary = spec.to_postcard();
    write(args.output.join("spec.bin"), &binary)?;

    let ram = args.ram.unwrap_or(board.default_ram_bytes());
    let (untypeds, _) = board_untypeds(board, ram)?;
    let (reqs, ids) = requests(spec);
    let plan = sysinit_planner::plan(spec.arch, &untypeds, &reqs)
        .map_err(|e| CliError::Sim(sysinit_sim::SimError::Plan(e)))?;
    let placements: Vec<(sysinit_spec::ObjectId, u64)> = ids
        .iter()
        .copied()
        .zip(plan.placements.iter().copied())
        .collect();
    let report = report(
        &args.system,
        board,
        ram,
        args.roottask.as_deref(),
        built,
        &placements,
    );
    write(args.output.join("report.txt"), report.as_bytes())?;

    if let (Some(roottask), Some(elf)) = (&args.roottask, roottask_elf) {
        // The machine note lets the runners boot with the RAM the spec was built for.
        let note = sysinit_image::MachineNote {
            board: board.name().to_string(),
            ram_bytes: ram,
        };
        let image =
            sysinit_image::embed_spec_with_note(elf, &binary, Some(&note)).map_err(|source| {
                CliError::Image {
                    path: roottask.clone(),
                    source,
                }
            })?;
        write(args.output.join("image.elf"), &image)?;
    }
    eprintln!(
        "sysinit: wrote {}: spec.json, spec.bin ({}), report.txt{}; {} objects, {} of program data, {} retypes planned",
        args.output.display(),
        Bytes(binary.len() as u64),
        if args.roottask.is_some() { ", image.elf" } else { "" },
        spec.objects.len(),
        Bytes(spec.blob.len() as u64),
        plan.stats.retypes
    );
    eprintln!(
        "sysinit: built for board {} with {} of RAM; boot it with exactly that much \
         (the qemu/ runners read it from the image)",
        board.name(),
        Bytes(ram)
    );
    Ok(())
}

fn size_bits(spec: &Spec, object: &Object) -> Option<u8> {
    let k = object.kernel_object(spec.arch)?;
    k.ty.size_bits(spec.arch, k.size_arg).ok()
}

/// The report: every PD's mappings, then every object's expected physical address.
///
/// `roottask` is the root task ELF whose span the board was given, if any.
pub fn report(
    system: &Path,
    board: &Board,
    ram: u64,
    roottask: Option<&Path>,
    built: &BuiltSystem,
    placements: &[(sysinit_spec::ObjectId, u64)],
) -> String {
    let spec = &built.spec;
    let mut out = String::new();
    let _ = writeln!(out, "sysinit build report");
    let _ = writeln!(out, "system: {}", system.display());
    let _ = writeln!(
        out,
        "board: {} ({}), RAM {:#x} ({})",
        board.name(),
        board.arch(),
        ram,
        Bytes(ram)
    );
    let image = board.root_task_image();
    let _ = match roottask {
        Some(elf) => writeln!(out, "root task image: {image}, from {}", elf.display()),
        None => writeln!(
            out,
            "root task image: {image}, the board's estimate (give --roottask for its real span)"
        ),
    };
    let _ = writeln!(
        out,
        "objects: {}, program data: {:#x} bytes\n",
        spec.objects.len(),
        spec.blob.len()
    );
    for pd in &built.pds {
        let _ = writeln!(out, "protection domain {} (entry {:#x})", pd.name, pd.entry);
        let _ = writeln!(
            out,
            "  {:<18} {:<12} {:<9} {:<6} {:<6} what",
            "vaddr", "size", "page", "rights", "cached"
        );
        for m in &pd.mappings {
            let what = match &m.source {
                MappingSource::Image => "program image".to_string(),
                MappingSource::Stack => "stack".to_string(),
                MappingSource::IpcBuffer => "IPC buffer".to_string(),
                MappingSource::Region {
                    name,
                    paddr,
                    device,
                } => {
                    let kind = if *device { "device region" } else { "region" };
                    match paddr {
                        Some(p) => format!("{kind} {name} at paddr {p:#x}"),
                        None => format!("{kind} {name}"),
                    }
                }
            };
            let rights = format!(
                "{}{}{}",
                if m.perms.read { 'r' } else { '-' },
                if m.perms.write { 'w' } else { '-' },
                if m.perms.execute { 'x' } else { '-' }
            );
            let _ = writeln!(
                out,
                "  {:<#18x} {:<#12x} {:<#9x} {:<6} {:<6} {what}",
                m.vaddr,
                m.size,
                m.page_size,
                rights,
                if m.cached { "yes" } else { "no" }
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(
        out,
        "expected physical placement (planner on the board's boot untypeds)"
    );
    let _ = writeln!(out, "  {:<18} {:<4} {:<14} name", "paddr", "bits", "type");
    let mut rows: Vec<(u64, u8, &str, &str)> = placements
        .iter()
        .filter_map(|&(id, paddr)| {
            let named = spec.get(id)?;
            let k = named.object.kernel_object(spec.arch)?;
            Some((
                paddr,
                size_bits(spec, &named.object)?,
                k.ty.name(),
                named.name.as_str(),
            ))
        })
        .collect();
    rows.sort();
    for (paddr, bits, ty, name) in rows {
        let _ = writeln!(out, "  {paddr:<#18x} {bits:<4} {ty:<14} {name}");
    }
    out
}
