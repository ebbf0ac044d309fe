//! Signals: SIGTERM, SIGHUP and SIGINT end redis-lab after its clean-up (the servers it started,
//! their temp dirs, the terminal's settings), with the exit code a shell expects (128+signal);
//! while an [`InterruptGuard`] lives, Ctrl-C (SIGINT) interrupts the command in flight instead.
//!
//! A leaf: what to clean up is handed in by `main` ([`install`]), so this module knows nothing
//! of the servers.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// What Ctrl-C does now: the process's one [`Interrupts`].
static CTRL_C: Interrupts = Interrupts::new();
/// The signal that is ending redis-lab, if any (0: none).
static SIGNAL: OnceLock<Arc<AtomicUsize>> = OnceLock::new();
/// What to undo before a signal ends the process (destructors do not run on `exit`).
static CLEANUP: OnceLock<fn()> = OnceLock::new();

/// Installs handlers for SIGTERM, SIGHUP and SIGINT that run `cleanup`, restore the terminal
/// and exit with 128+signal. Only the first call counts.
pub fn install(cleanup: fn()) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    if CLEANUP.set(cleanup).is_err() {
        return;
    }
    // The signal is also recorded inside the handler itself, so the main thread sees it even
    // when the interrupted read returns before the thread below has run.
    let recorded = SIGNAL.get_or_init(|| Arc::new(AtomicUsize::new(0)));
    for signal in [SIGTERM, SIGHUP, SIGINT] {
        let _ = signal_hook::flag::register_usize(signal, recorded.clone(), signal as usize);
    }
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT]) else {
        return;
    };
    std::thread::spawn(move || {
        for signal in signals.forever() {
            // While a guard lives, Ctrl-C interrupts the command in flight only.
            if signal == SIGINT && CTRL_C.interruptible.load(Ordering::SeqCst) {
                CTRL_C.interrupted.store(true, Ordering::SeqCst);
                if let Some(recorded) = SIGNAL.get() {
                    recorded.store(0, Ordering::SeqCst);
                }
                continue;
            }
            exit_for_signal(signal);
        }
    });
}

/// A signal may also end a blocking read on the main thread, which then returns normally:
/// main calls this so the exit code is the signal's either way.
pub fn exit_if_signalled() {
    let signal = SIGNAL.get().map_or(0, |s| s.load(Ordering::SeqCst));
    // A Ctrl-C that only interrupted a command is not a reason to exit.
    let interrupt_only = signal == signal_hook::consts::SIGINT as usize
        && CTRL_C.interruptible.load(Ordering::SeqCst);
    if signal != 0 && !interrupt_only {
        exit_for_signal(signal as i32);
    }
}

fn exit_for_signal(signal: i32) -> ! {
    if let Some(cleanup) = CLEANUP.get() {
        cleanup();
    }
    crate::terminal::restore();
    std::process::exit(128 + signal);
}

/// Whether Ctrl-C was pressed since the outermost [`InterruptGuard`] was taken.
pub fn interrupted() -> bool {
    CTRL_C.interrupted.load(Ordering::SeqCst)
}

/// Whether Ctrl-C interrupts (a guard lives) and whether it was pressed.
struct Interrupts {
    interruptible: AtomicBool,
    /// Set by the handler; cleared when the outermost guard is taken and when it drops.
    interrupted: AtomicBool,
}

impl Interrupts {
    const fn new() -> Interrupts {
        Interrupts {
            interruptible: AtomicBool::new(false),
            interrupted: AtomicBool::new(false),
        }
    }
}

/// While it lives, Ctrl-C interrupts the command in flight instead of ending redis-lab; its
/// drop puts back what was before, on every way out of the scope (`?`, `break`, a panic).
#[must_use = "Ctrl-C is interruptible only while the guard lives"]
pub struct InterruptGuard {
    state: &'static Interrupts,
    previous: bool,
}

impl InterruptGuard {
    /// Makes Ctrl-C interruptible. The outermost guard starts with no interrupt pending; a
    /// nested one keeps an interrupt its outer guard has seen.
    pub fn new() -> InterruptGuard {
        InterruptGuard::on(&CTRL_C)
    }

    fn on(state: &'static Interrupts) -> InterruptGuard {
        let previous = state.interruptible.swap(true, Ordering::SeqCst);
        if !previous {
            state.interrupted.store(false, Ordering::SeqCst);
        }
        InterruptGuard { state, previous }
    }
}

impl Default for InterruptGuard {
    fn default() -> Self {
        InterruptGuard::new()
    }
}

impl Drop for InterruptGuard {
    fn drop(&mut self) {
        self.state
            .interruptible
            .store(self.previous, Ordering::SeqCst);
        if !self.previous {
            // Back to Ctrl-C ending redis-lab: an interrupt seen here is handled and forgotten.
            self.state.interrupted.store(false, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each test has its own state: the process's one is left to the handler and other tests.

    fn interruptible(state: &Interrupts) -> bool {
        state.interruptible.load(Ordering::SeqCst)
    }

    #[test]
    fn a_guard_makes_ctrl_c_interruptible_and_its_drop_restores_the_previous_state() {
        static STATE: Interrupts = Interrupts::new();
        assert!(!interruptible(&STATE));
        {
            let _outer = InterruptGuard::on(&STATE);
            assert!(interruptible(&STATE));
            {
                let _inner = InterruptGuard::on(&STATE);
                assert!(interruptible(&STATE));
            }
            // The inner guard's drop leaves the outer one's state, not "off".
            assert!(interruptible(&STATE));
        }
        assert!(!interruptible(&STATE));
    }

    #[test]
    fn an_early_return_cannot_leave_ctrl_c_interruptible() {
        static STATE: Interrupts = Interrupts::new();
        fn fails() -> Result<(), ()> {
            let _guard = InterruptGuard::on(&STATE);
            Err(())?;
            Ok(())
        }
        assert!(fails().is_err());
        assert!(!interruptible(&STATE));
        for _ in 0..3 {
            let _guard = InterruptGuard::on(&STATE);
            if interruptible(&STATE) {
                break;
            }
        }
        assert!(!interruptible(&STATE));
    }

    #[test]
    fn an_interrupt_is_kept_for_the_outer_guard_and_forgotten_after_the_last() {
        static STATE: Interrupts = Interrupts::new();
        let pressed = || STATE.interrupted.load(Ordering::SeqCst);
        let outer = InterruptGuard::on(&STATE);
        assert!(!pressed());
        {
            let _inner = InterruptGuard::on(&STATE);
            STATE.interrupted.store(true, Ordering::SeqCst); // what the handler does on Ctrl-C
        }
        assert!(pressed(), "the outer guard (repetitions) must see it too");
        drop(outer);
        assert!(!pressed());
        let _next = InterruptGuard::on(&STATE);
        assert!(!pressed());
    }
}
