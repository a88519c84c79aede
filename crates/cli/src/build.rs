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
    let plan = sysinit_planner::plan(spec.kernel(), &untypeds, &reqs)
        .map_err(|e| CliError::Sim(sysinit_sim::SimError::Plan(e)))?;
    // The root task puts every cap in its root CNode beside what seL4 left there at
    // boot: refuse here what would stop the real boot (simulate checks the same).
    board
        .root_cnode_at_boot(untypeds.len())
        .check(slots_needed(spec, &plan))
        .map_err(|e| CliError::Sim(sysinit_sim::SimError::RootCNode(e)))?;
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
    for (vm, dtb) in &built.guest_device_trees {
        write(args.output.join(dtb_file(vm)), dtb)?;
    }

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
