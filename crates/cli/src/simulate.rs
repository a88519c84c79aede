//! `sysinit simulate`: plan a spec and boot it on the kernel model.

use std::io::Write;
use std::path::Path;

use sysinit_initializer::requests;
use sysinit_sim::simulate_spec_in;

use crate::input::{board_untypeds, load_input, log_untypeds};
use crate::overwrite::refuse_overwriting;
use crate::report::Report;
use crate::system::board;
use crate::units::Bytes;
use crate::{CliError, SimulateArgs};

/// Runs the command: the trace goes to standard output (or `--trace`), the report to
/// standard error.
pub fn run(args: &SimulateArgs) -> Result<(), CliError> {
    // A system description is validated against the RAM the boot will have.
    let board = board(&args.board, args.ram)?;
    let loaded = load_input(args.spec.as_deref(), &board, &args.search_path)?;
    if let Some(trace) = &args.trace {
        let mut inputs: Vec<(String, &Path)> = loaded
            .inputs
            .iter()
            .map(|(w, p)| (w.clone(), p.as_path()))
            .collect();
        if let Some(log) = &args.untypeds {
            inputs.push(("the untyped log (--untypeds)".to_string(), log));
        }
        refuse_overwriting(
            "--trace",
            std::slice::from_ref(trace),
            &inputs,
            "another file for --trace",
        )?;
    }
    if loaded.spec.arch != board.arch() {
        return Err(CliError::ArchMismatch {
            path: loaded.name,
            spec: loaded.spec.arch,
            board: args.board.clone(),
            board_arch: board.arch(),
        });
    }
    if loaded.spec.kernel() != board.kernel() {
        return Err(CliError::KernelMismatch {
            path: loaded.name,
            spec: loaded.spec.kernel(),
            other: format!("board {}", args.board),
            other_kernel: board.kernel(),
            fix: "the board the spec was built for (--board)",
        });
    }
    let board = with_built_for_ram(board, &loaded.spec, args.ram)?;
    // A spec built for another board may plan fine here and still be wrong there
    // (device memory and RAM differ): say so rather than only "ok".
    if let (Some(m), None) = (&loaded.spec.machine, &args.untypeds) {
        if m.board != board.name() {
            eprintln!(
                "sysinit: warning: {} was built for board {} with {} of RAM, but is simulated on \
                 board {} with {}; give --board {} to simulate the machine it is for",
                loaded.name,
                m.board,
                Bytes(m.ram_bytes),
                board.name(),
                Bytes(board.ram_bytes()),
                m.board,
            );
        }
    }
    let (untypeds, source) = match &args.untypeds {
        Some(log) => log_untypeds(log, loaded.spec.arch)?,
        None => board_untypeds(&board, board.ram_bytes())?,
    };
    let (reqs, _) = requests(&loaded.spec);
    // The caps must fit where the real root task would put them: the board's root
    // CNode less what seL4 fills at boot with this board's root task image.
    let root = board.root_cnode_at_boot(untypeds.len());
    let sim = simulate_spec_in(&loaded.spec, &untypeds, root)?;

    let mut trace = String::new();
    for record in &sim.trace {
        trace.push_str(&record.to_string());
        trace.push('\n');
    }
    match &args.trace {
        Some(path) => std::fs::write(path, trace).map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        })?,
        None => print!("{trace}"),
    }
    let report = Report {
        spec: &loaded.name,
        spec_object: &loaded.spec,
        board: &board,
        untypeds: &untypeds,
        source: &source,
        requests: &reqs,
        sim: &sim,
    };
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{report}");
    Ok(())
}

/// A spec records the machine it was built for; without `--ram`, simulate that
/// machine's RAM, as the runners boot it (which fixed addresses are device memory
/// depends on it). With `--ram`, the boot is simulated as asked, and a different RAM
/// size is said, since the root task will refuse a device frame that lands in RAM.
fn with_built_for_ram(
    board: sysinit_board::Board,
    spec: &sysinit_spec::Spec,
    ram: Option<u64>,
) -> Result<sysinit_board::Board, CliError> {
    let Some(machine) = spec.machine.as_ref().filter(|m| m.board == board.name()) else {
        return Ok(board);
    };
    if machine.ram_bytes == board.ram_bytes() {
        return Ok(board);
    }
    if ram.is_some() {
        eprintln!(
            "sysinit: note: the spec was built for {} of RAM; simulating the {} asked for",
            Bytes(machine.ram_bytes),
            Bytes(board.ram_bytes())
        );
        return Ok(board);
    }
    let name = board.name().to_string();
    board
        .with_ram_bytes(machine.ram_bytes)
        .map_err(|source| CliError::Board {
            board: name,
            source,
        })
}
