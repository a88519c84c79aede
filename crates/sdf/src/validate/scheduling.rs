//! Scheduling: priorities, protected procedure call direction, budgets, stacks, CPUs.

use crate::describe;
use crate::error::{SdfError, SdfErrorKind};
use crate::model::Location;
use crate::validate::limits::{MAX_PRIORITY, MAX_STACK_SIZE, MIN_STACK_SIZE, STACK_SIZE_ALIGN};
use crate::validate::Ctx;

/// Describes a PD the way parse does: with its parent for children.
pub(crate) fn pd_element(ctx: &Ctx<'_>, name: &str) -> String {
    ctx.pds
        .iter()
        .find(|(pd, _)| pd.name == name)
        .map(|(pd, parent)| match parent {
            Some(parent) => describe::inside(&describe::pd(pd), &describe::pd(parent)),
            None => describe::pd(pd),
        })
        .unwrap_or_else(|| describe::element("protection_domain", "name", Some(name)))
}

/// PD and VM priorities lie in 0..=254.
///
/// The manual sets no order between a child and its parent (a parent handles
/// its children's faults whatever their priorities), so none is checked.
pub(crate) fn check_priorities(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    let mut check = |value: u64, location: &Location, element: String| {
        if value > MAX_PRIORITY {
            errors.push(SdfError::at(
                location.clone(),
                SdfErrorKind::PriorityOutOfRange {
                    element,
                    value,
                    max: MAX_PRIORITY,
                },
            ));
        }
    };
    for (pd, _) in &ctx.pds {
        check(pd.priority, &pd.location, pd_element(ctx, &pd.name));
        if let Some(vm) = &pd.virtual_machine {
            if let Some(priority) = vm.priority {
                check(
                    priority,
                    &vm.location,
                    describe::inside(&describe::vm(vm), &describe::pd(pd)),
                );
            }
        }
    }
}

/// A protected procedure call goes to a PD of strictly higher priority (the manual).
pub(crate) fn check_ppc_priorities(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for channel in &ctx.description.channels {
        if channel.ends.iter().all(|end| end.pp) {
            continue; // check_pp_both_ends reports it
        }
        for (caller_end, callee_end) in [
            (&channel.ends[0], &channel.ends[1]),
            (&channel.ends[1], &channel.ends[0]),
        ] {
            if !caller_end.pp {
                continue;
            }
            let (Some(caller), Some(callee)) = (ctx.pd(&caller_end.pd), ctx.pd(&callee_end.pd))
            else {
                continue;
            };
            if caller.priority >= callee.priority {
                errors.push(SdfError::at(
                    caller_end.location.clone(),
                    SdfErrorKind::PpcPriority {
                        element: describe::element("end", "pd", Some(&caller_end.pd)),
                        caller: caller.name.clone(),
                        caller_priority: caller.priority,
                        callee: callee.name.clone(),
                        callee_priority: callee.priority,
                    },
                ));
            }
        }
    }
}

/// At most one end of a channel may call the other.
pub(crate) fn check_pp_both_ends(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for channel in &ctx.description.channels {
        if channel.ends.iter().all(|end| end.pp) {
            errors.push(SdfError::at(
                channel.location.clone(),
                SdfErrorKind::PpBothEnds,
            ));
        }
    }
}

/// The budget does not exceed the period (the manual).
pub(crate) fn check_budget_period(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for (pd, _) in &ctx.pds {
        let (budget, period) = (pd.effective_budget(), pd.effective_period());
        if budget > period {
            errors.push(SdfError::at(
                pd.location.clone(),
                SdfErrorKind::BudgetExceedsPeriod {
                    element: pd_element(ctx, &pd.name),
                    budget,
                    period,
                },
            ));
        }
        if let Some(vm) = &pd.virtual_machine {
            let budget = vm.budget.unwrap_or(crate::model::DEFAULT_BUDGET);
            let period = vm.period.unwrap_or(budget);
            if budget > period {
                errors.push(SdfError::at(
                    vm.location.clone(),
                    SdfErrorKind::BudgetExceedsPeriod {
                        element: describe::inside(&describe::vm(vm), &describe::pd(pd)),
                        budget,
                        period,
                    },
                ));
            }
        }
    }
}

/// Budgets, periods and passive PDs need the MCS scheduler.
pub(crate) fn check_mcs_attributes(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    if ctx.board.mcs() {
        return;
    }
    let board = ctx.board.name().to_string();
    let mut refuse = |attribute: &'static str, location: &Location, element: String| {
        errors.push(SdfError::at(
            location.clone(),
            SdfErrorKind::NeedsMcs {
                element,
                attribute,
                board: board.clone(),
            },
        ));
    };
    for (pd, _) in &ctx.pds {
        let element = pd_element(ctx, &pd.name);
        if pd.budget.is_some() {
            refuse("budget", &pd.location, element.clone());
        }
        if pd.period.is_some() {
            refuse("period", &pd.location, element.clone());
        }
        if pd.passive {
            refuse("passive", &pd.location, element);
        }
        if let Some(vm) = &pd.virtual_machine {
            let element = describe::inside(&describe::vm(vm), &describe::pd(pd));
            if vm.budget.is_some() {
                refuse("budget", &vm.location, element.clone());
            }
            if vm.period.is_some() {
                refuse("period", &vm.location, element);
            }
        }
    }
}

/// Stacks are whole pages between 4 KiB and 16 MiB (the manual).
pub(crate) fn check_stack_sizes(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for (pd, _) in &ctx.pds {
        let size = pd.stack_size;
        if !(MIN_STACK_SIZE..=MAX_STACK_SIZE).contains(&size)
            || !size.is_multiple_of(STACK_SIZE_ALIGN)
        {
            errors.push(SdfError::at(
                pd.location.clone(),
                SdfErrorKind::StackSize {
                    element: pd_element(ctx, &pd.name),
                    value: size,
                    page: STACK_SIZE_ALIGN,
                    min: MIN_STACK_SIZE,
                    max: MAX_STACK_SIZE,
                },
            ));
        }
    }
}

/// PDs and vCPUs run on cores the board has.
pub(crate) fn check_cpus(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    let cores = u64::from(ctx.board.cores());
    let mut check = |cpu: u64, location: &Location, element: String| {
        if cpu >= cores {
            errors.push(SdfError::at(
                location.clone(),
                SdfErrorKind::CpuOutOfRange {
                    element,
                    cpu,
                    board: ctx.board.name().to_string(),
                    max: cores - 1,
                },
            ));
        }
    };
    for (pd, _) in &ctx.pds {
        check(pd.cpu, &pd.location, pd_element(ctx, &pd.name));
        if let Some(vm) = &pd.virtual_machine {
            for vcpu in &vm.vcpus {
                if let Some(cpu) = vcpu.cpu {
                    let element = describe::element("vcpu", "id", Some(&vcpu.id.to_string()));
                    check(
                        cpu,
                        &vcpu.location,
                        describe::inside(&element, &describe::vm(vm)),
                    );
                }
            }
        }
    }
}
