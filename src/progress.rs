//! Progress lines on a terminal: indicatif's bars behind the `progress` feature (on by default);
//! without it, a silent stand-in with the same calls, so an embedding build carries no terminal
//! code.

#[cfg(feature = "progress")]
pub use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[cfg(not(feature = "progress"))]
pub use silent::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[cfg(not(feature = "progress"))]
mod silent {
    /// Shows nothing.
    #[derive(Debug, Clone)]
    pub struct ProgressBar;

    impl ProgressBar {
        pub fn hidden() -> Self {
            ProgressBar
        }
        pub fn new(_len: u64) -> Self {
            ProgressBar
        }
        pub fn set_style(&self, _style: ProgressStyle) {}
        pub fn set_draw_target(&self, _target: ProgressDrawTarget) {}
        pub fn set_message(&self, _message: impl Into<String>) {}
        pub fn set_position(&self, _pos: u64) {}
        pub fn inc(&self, _delta: u64) {}
        pub fn finish_and_clear(&self) {}
    }

    pub struct ProgressStyle;

    impl ProgressStyle {
        pub fn with_template(_template: &str) -> Result<Self, std::convert::Infallible> {
            Ok(ProgressStyle)
        }
        pub fn default_bar() -> Self {
            ProgressStyle
        }
        pub fn default_spinner() -> Self {
            ProgressStyle
        }
        pub fn progress_chars(self, _chars: &str) -> Self {
            self
        }
    }

    pub struct ProgressDrawTarget;

    impl ProgressDrawTarget {
        pub fn stderr() -> Self {
            ProgressDrawTarget
        }
    }
}
