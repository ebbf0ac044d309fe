//! The terminal's own settings, saved at start and put back on any way out (a signal arriving
//! mid-prompt leaves raw mode on otherwise). A leaf module: the sandbox's signal handler and the
//! output code both use it.

use std::io::IsTerminal;
use std::sync::Mutex;

static SAVED_TERMIOS: Mutex<Option<nix::sys::termios::Termios>> = Mutex::new(None);

/// Remembers the terminal settings so a signal arriving mid-prompt can put them back.
pub fn save() {
    if !std::io::stdin().is_terminal() {
        return;
    }
    if let Ok(termios) = nix::sys::termios::tcgetattr(std::io::stdin())
        && let Ok(mut saved) = SAVED_TERMIOS.lock()
    {
        *saved = Some(termios);
    }
}

/// Puts the terminal back as it was when redis-lab started (raw mode off, echo on).
pub fn restore() {
    let saved = match SAVED_TERMIOS.lock() {
        Ok(saved) => saved.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    if let Some(termios) = saved {
        // Nothing more can be done if it fails: redis-lab is on its way out.
        let _ = nix::sys::termios::tcsetattr(
            std::io::stdin(),
            nix::sys::termios::SetArg::TCSANOW,
            &termios,
        );
    }
}
