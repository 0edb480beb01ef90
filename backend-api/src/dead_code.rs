//! [`DeadCode`]: what a single-pass code generator skips after a branch, `return` or
//! `unreachable`, up to the `else` or `end` that makes code reachable again.

/// Nesting of the blocks opened in unreachable code, which are skipped whole.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeadCode {
    depth: u32,
}

impl DeadCode {
    /// Whether `op`, met while the code is unreachable, is to be skipped; false for the `else`
    /// or `end` that ends the unreachable region, which the generator lowers.
    pub fn skip(&mut self, op: &wasmparser::Operator<'_>) -> bool {
        use wasmparser::Operator;
        match op {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. }
            | Operator::Try { .. } => {
                self.depth += 1;
                true
            }
            Operator::Else
            | Operator::End
            | Operator::Catch { .. }
            | Operator::CatchAll
            | Operator::Delegate { .. }
                if self.depth == 0 =>
            {
                false
            }
            Operator::End | Operator::Delegate { .. } => {
                self.depth -= 1;
                true
            }
            _ => true,
        }
    }
}
