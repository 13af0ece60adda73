//! Sandbox or production: whether supplier tokens and payouts are for real.

/// Whether supplier tokens and payouts are for real.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Test accounts or local fakes: a seller without a supplier token is
    /// connected through the (fake) OAuth flow on the spot.
    Sandbox,
    /// Real money: nothing is simulated.
    Production,
}

impl Mode {
    /// The credential vault's environment name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Sandbox => "sandbox",
            Mode::Production => "production",
        }
    }
}
