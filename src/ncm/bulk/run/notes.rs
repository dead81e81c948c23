//! What a bulk-write run tells the operator: which routers failed and why it halted, the
//! report of a run that ran to its end or halted, and what was written and what to run next
//! when it stopped, was interrupted or halted.

use super::*;

impl Run<'_> {
    /// The routers whose failures counted against the budget (of these changes only, when
    /// given), named, with their reasons (the first few).
    fn failed_routers(&self, only: Option<&[usize]>) -> String {
        const SHOWN: usize = 5;
        let b = self.book.lock().unwrap();
        let failed: Vec<String> = b
            .counted
            .iter()
            .filter(|i| only.is_none_or(|o| o.contains(i)))
            .filter_map(|&i| b.results[i].as_ref())
            .map(|o| {
                let name = self
                    .plan
                    .states
                    .get(&o.router)
                    .map(|s| format!(" ({})", s.name))
                    .unwrap_or_default();
                format!("router {}{name}: {}", o.router, o.reason)
            })
            .collect();
        let more = failed.len().saturating_sub(SHOWN);
        let mut text = failed
            .into_iter()
            .take(SHOWN)
            .collect::<Vec<_>>()
            .join("; ");
        if more > 0 {
            text.push_str(&format!("; and {more} more (see the report)"));
        }
        text
    }

    pub(super) fn halt_reason(&self, after: &str, total: usize) -> String {
        let budget = match self.opts.max_failures {
            Some(a) => format!(
                "max_failures {} = {} of {total} routers",
                a.text(),
                self.budget
            ),
            None => "no budget".into(),
        };
        format!(
            "{} router(s) failed {after}, more than the budget ({budget}): {}",
            self.failures(),
            self.failed_routers(None)
        )
    }

    pub(super) fn canary_halt(&self, waves: usize, canaries: &[usize]) -> String {
        format!(
            "the canary wave (wave 1/{waves}) failed, and a failed canary halts the run whatever the failure budget: {}",
            self.failed_routers(Some(canaries))
        )
    }

    /// `execute`, with the progress bar cleared and, when it stops on an error (Ctrl-C
    /// included), a note of what was written and what to do.
    pub(super) fn execute_noting_a_stop(&self, work: &Work) -> Result<Option<String>> {
        let opts = self.opts;
        let result = self.execute(work);
        self.pb.finish_and_clear();
        match result {
            Ok(h) => Ok(h),
            Err(Error::Interrupted) => {
                log(opts, "WARN", &interrupted_note(opts, self.written()));
                Err(Error::Interrupted)
            }
            Err(e) => {
                log(opts, "ERROR", &stopped_note(opts, self.written(), &e));
                Err(e)
            }
        }
    }

    /// The report of a run that ran to its end or halted: a halt logged, rolled back when
    /// asked, and the next steps named.
    pub(super) fn report(&self, halted: Option<String>) -> Result<Report> {
        let opts = self.opts;
        let mut report = Report::default();
        if let Some(why) = &halted {
            log(opts, "ERROR", &format!("{}: halted: {why}", opts.label));
            if opts.rollback {
                report.rollback = self.roll_back()?;
            }
            report.next = next_steps(opts, &report.rollback);
            for step in &report.next {
                log(opts, "INFO", &format!("{}: {step}", opts.label));
            }
        }
        report.outcomes = self.outcomes(&match &halted {
            Some(why) => format!("halted: {why}"),
            None => "not reached".into(),
        });
        report.halted = halted;
        Ok(report)
    }
}

/// The journal's path as an operator types it after `--arg journal=`.
fn journal_arg(opts: &BulkOptions) -> Option<String> {
    opts.journal.as_ref().map(|j| j.path.display().to_string())
}

/// What the operator can run after a halt: the undo (unless the run rolled itself back
/// completely) and how to continue.
fn next_steps(opts: &BulkOptions, rollback: &[Reverted]) -> Vec<String> {
    let undone = opts.rollback && rollback.iter().all(Reverted::restores);
    let Some(journal) = journal_arg(opts) else {
        return vec![if undone {
            "the run's writes were rolled back; fix the cause, then run it again".into()
        } else {
            "no journal was kept, so nothing can undo this run from one: pass the journal option to make runs undoable".into()
        }];
    };
    let mut out = vec![];
    if !undone {
        out.push(format!(
            "undo what was written: fleetscript run rollback --arg journal={journal}"
        ));
    }
    out.push(format!("continue once the cause is fixed: run the same command again (the journal {journal} resumes it)"));
    out
}

/// What a run stopped by an error (the journal could not be written, the API failed) tells the
/// operator: what it wrote, all journaled before the write, and how to undo it.
fn stopped_note(opts: &BulkOptions, written: usize, e: &Error) -> String {
    match journal_arg(opts) {
        Some(j) => format!("{}: stopped: {e}; {written} router(s) written by this run, each journaled before its write. Undo: fleetscript run rollback --arg journal={j}", opts.label),
        None => format!("{}: stopped: {e}; {written} router(s) written by this run", opts.label),
    }
}

/// What an interrupted run tells the operator: its writes are journaled, and the commands.
fn interrupted_note(opts: &BulkOptions, written: usize) -> String {
    match journal_arg(opts) {
        Some(j) => format!("{}: interrupted: the writes in flight finished; {written} router(s) written by this run, all in the journal {j}. Resume: run the same command again; undo: fleetscript run rollback --arg journal={j}", opts.label),
        None => format!("{}: interrupted: the writes in flight finished; {written} router(s) written by this run (no journal was kept)", opts.label),
    }
}
