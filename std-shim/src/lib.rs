//! Operating-system services for the Lazuli runtime, which `lazuli-core` (no_std) reaches
//! through its platform trait: worker threads for speculative compilation, trap unwinding,
//! memory mapping and signal handling.
