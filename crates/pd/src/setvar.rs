//! Variables the builder sets in the program image (`setvar_vaddr`, `setvar_id`, ...).

use core::cell::UnsafeCell;

/// A 64-bit word the builder writes into the ELF file before the PD runs.
///
/// Declare one with [`setvar!`](crate::setvar), which gives it the symbol name the
/// system description uses and puts it in `.data` (a `.bss` variable has no bytes
/// in the file to patch). Reads go to memory, never to the compile-time zero.
#[repr(transparent)]
pub struct Setvar(UnsafeCell<u64>);

// SAFETY: nothing writes a Setvar at run time (the builder wrote it before the
// program started), so shared reads from any thread are sound.
unsafe impl Sync for Setvar {}

impl Setvar {
    /// A variable the builder has not set yet.
    pub const fn unset() -> Setvar {
        Setvar(UnsafeCell::new(0))
    }

    /// The value the builder wrote (0 if it wrote none).
    pub fn get(&self) -> u64 {
        // SAFETY: the pointer comes from a live UnsafeCell and nothing writes
        // it at run time; volatile so the value is read from the image.
        unsafe { core::ptr::read_volatile(self.0.get()) }
    }
}

/// Declares builder-set variables: `sysinit_pd::setvar!(bar_vaddr, bar_paddr);`
/// then `bar_vaddr.get()`.
#[macro_export]
macro_rules! setvar {
    ($($name:ident),+ $(,)?) => {
        $(
            #[no_mangle]
            #[used]
            #[allow(non_upper_case_globals)]
            #[link_section = ".data.sysinit_setvar"]
            static $name: $crate::Setvar = $crate::Setvar::unset();
        )+
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unset_variable_reads_zero() {
        static V: Setvar = Setvar::unset();
        assert_eq!(V.get(), 0);
    }
}
