//! What a run comes to, as the command line reports it: the exit-code contract (`exit`), a failed
//! script ready to show (`ScriptError`), the API calls a run made (`CloudCalls`) and what
//! `config check` found of each cloud (`CloudCheck`).

use crate::script::diagnostics::Diagnostic;

/// Exit codes, in one place (the contract README and the guide state): 0 done; 1 the job ran
/// and something failed; 2 a usage error found before any request; 3 a cloud refused the
/// credentials; 75 temporarily unable (a lock held, a cloud unavailable after retries); 130
/// interrupted.
pub mod exit {
    pub const OK: i32 = 0;
    /// The job ran and something failed: a router failed or was skipped by an ERROR, a halt, an
    /// API error the script did not catch, an error in the script's own code.
    pub const FAILURE: i32 = 1;
    /// A usage error found before any request: a flag, an `--arg`, a profile, credentials.
    pub const USAGE: i32 = 2;
    /// A cloud refused the credentials (HTTP 401 or 403).
    pub const AUTH: i32 = 3;
    /// Temporarily unable (EX_TEMPFAIL): another run holds a lock, or a cloud stayed unavailable
    /// through every retry. Try again later.
    pub const TEMPFAIL: i32 = 75;
    /// Another run holds the backup directory's or journal's lock ([`TEMPFAIL`]).
    pub const LOCKED: i32 = TEMPFAIL;
    pub const INTERRUPTED: i32 = 130;
}

/// A failed script, ready to show.
#[derive(Debug)]
pub enum ScriptError {
    Compile(Box<Diagnostic>),
    Runtime(Box<Diagnostic>),
    Interrupted(Box<Diagnostic>),
    /// Another run holds a lock this one needs.
    Locked(Box<Diagnostic>),
    Setup(String),
    /// The script ended its job as failed (`fail(message)`): the message alone, no frames.
    Failed(String),
    /// A cloud refused the credentials: one line naming the keys to check.
    AuthRefused(String),
    /// A cloud stayed unavailable through every retry: one line, try again later.
    Unavailable(String),
    /// A cloud's TLS certificate could not be verified: one line naming the host, the reason
    /// and the fix (`ca_file`); a failure (exit 1), as it will not fix itself.
    Tls(String),
    /// Interrupted after the point of no return (what it names is saved for good): not a
    /// failure, exit 0.
    InterruptedAfterSave(String),
}

impl ScriptError {
    pub fn exit_code(&self) -> i32 {
        match self {
            ScriptError::Compile(_) | ScriptError::Setup(_) => exit::USAGE,
            ScriptError::Runtime(_) | ScriptError::Failed(_) | ScriptError::Tls(_) => exit::FAILURE,
            ScriptError::Interrupted(_) => exit::INTERRUPTED,
            ScriptError::Locked(_) | ScriptError::Unavailable(_) => exit::TEMPFAIL,
            ScriptError::AuthRefused(_) => exit::AUTH,
            ScriptError::InterruptedAfterSave(_) => exit::OK,
        }
    }
    /// Is this outcome said in one line alone (refused keys, an unavailable cloud, a lock, a
    /// certificate that cannot be verified, a setup error)?
    pub fn is_one_line(&self) -> bool {
        matches!(
            self,
            ScriptError::Setup(_)
                | ScriptError::AuthRefused(_)
                | ScriptError::Unavailable(_)
                | ScriptError::Locked(_)
                | ScriptError::Tls(_)
        )
    }

    pub fn render(&self) -> String {
        match self {
            ScriptError::Compile(d) | ScriptError::Runtime(d) | ScriptError::Interrupted(d) => {
                d.render()
            }
            // Not a mistake in the script's code: the message alone.
            ScriptError::Locked(d) => format!("error: {}\n", d.message),
            ScriptError::Setup(s)
            | ScriptError::Failed(s)
            | ScriptError::AuthRefused(s)
            | ScriptError::Unavailable(s)
            | ScriptError::Tls(s) => format!("error: {s}\n"),
            ScriptError::InterruptedAfterSave(what) => format!(
                "interrupted after {what}: that is saved and complete; the rest of the run was skipped\n"
            ),
        }
    }
}

/// The API calls of a run (or of one REPL command), per cloud.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CloudCalls {
    pub ncm: crate::http::Calls,
    pub ignitenet: crate::http::Calls,
}

impl CloudCalls {
    /// The calls made after `earlier`.
    pub fn since(self, earlier: CloudCalls) -> CloudCalls {
        CloudCalls {
            ncm: self.ncm.since(earlier.ncm),
            ignitenet: self.ignitenet.since(earlier.ignitenet),
        }
    }

    /// `calls: NCM 3 requests, 0 retries, 0 rate-limited (429), 1.2 MiB received; IgniteNet
    /// ...`: the clouds that were called, or `None` when none was.
    pub fn line(&self) -> Option<String> {
        let parts: Vec<String> = [("NCM", self.ncm), ("IgniteNet", self.ignitenet)]
            .into_iter()
            .filter(|(_, c)| !c.is_empty())
            .map(|(name, c)| format!("{name} {}", c.describe()))
            .collect();
        (!parts.is_empty()).then(|| format!("calls: {}", parts.join("; ")))
    }
}

/// What `config check` found of one cloud.
#[derive(Debug, Clone)]
pub struct CloudCheck {
    pub cloud: crate::config::Cloud,
    /// The line shown for it.
    pub line: String,
    /// `None`: not configured (no keys); `Some(Ok)`: it answered; `Some(Err)`: it failed, and
    /// what the failure says (refused keys, unavailable, other).
    pub result: Option<std::result::Result<(), crate::error::Cause>>,
}

impl CloudCheck {
    /// The exit code of a failure of this cloud, by the exit-code contract.
    pub fn exit_code(&self) -> i32 {
        use crate::error::Cause;
        match self.result {
            None | Some(Ok(())) => exit::OK,
            Some(Err(Cause::AuthRefused)) => exit::AUTH,
            Some(Err(Cause::Unavailable | Cause::Locked)) => exit::TEMPFAIL,
            Some(Err(Cause::Failure)) => exit::FAILURE,
        }
    }
}
