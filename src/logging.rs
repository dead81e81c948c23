//! The run's log on stderr: timestamped lines (`2026-01-01T00:00:00Z WARN  message`), warnings
//! and errors coloured on a terminal (unless `NO_COLOR`), and the latest lines kept for a
//! failure notification. The transport, bulk runs and the `log::` script module all write here.

/// A timestamped log line on stderr (`2026-01-01T00:00:00Z WARN  message`), the form the
/// `log::` script module writes too.
pub fn log_line(level: &str, msg: &str) {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    let line = format!("{now} {level:<5} {msg}");
    // Warnings yellow and errors red on a terminal, unless NO_COLOR is set (no-color.org).
    let colour = match level {
        "WARN" => "33",
        "ERROR" => "31",
        _ => "",
    };
    if !colour.is_empty() && stderr_colour() {
        eprintln!("\x1b[{colour}m{line}\x1b[0m");
    } else {
        eprintln!("{line}");
    }
    if let Ok(mut recent) = RECENT_LOG.lock() {
        if recent.len() == RECENT_LOG_LINES {
            recent.pop_front();
        }
        recent.push_back(line);
    }
}

/// Is stderr a terminal that takes colour (`NO_COLOR` unset or empty)?
fn stderr_colour() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::IsTerminal::is_terminal(&std::io::stderr())
    })
}

/// How many of the latest log lines are kept (for a failure notification).
const RECENT_LOG_LINES: usize = 20;
static RECENT_LOG: std::sync::Mutex<std::collections::VecDeque<String>> =
    std::sync::Mutex::new(std::collections::VecDeque::new());

/// The latest log lines written (at most 20), oldest first.
pub fn recent_log_lines() -> Vec<String> {
    RECENT_LOG
        .lock()
        .map(|r| r.iter().cloned().collect())
        .unwrap_or_default()
}
