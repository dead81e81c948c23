//! One bulk-write run, step by step: plan every router, sort them (journal first: what an
//! earlier run sent is verified, not skipped; a router that already carries the change is
//! `unchanged` only when in sync — verified when it is not yet, failed when its sync is
//! suspended, pending when offline; then refused, online targets in waves, offline targets
//! and those whose sync was suspended before the run last), write each wave with bounded concurrency and a rate limit, hold it at
//! the health gate, count failures against the budget and halt — skipping the rest and, with
//! `rollback`, reverting what the run wrote — when the budget is exceeded.

use super::*;

mod notes;

/// What the run has learnt so far, shared by the write workers.
struct Book {
    results: Vec<Option<Outcome>>,
    journal: Journal,
    /// Failures counted against the budget.
    failures: usize,
    /// The changes those failures are of, in the order they failed.
    counted: Vec<usize>,
}

impl Book {
    fn count_failure(&mut self, i: usize) {
        self.failures += 1;
        self.counted.push(i);
    }
}

/// Who is written when.
#[derive(Default)]
struct Work {
    /// Sent by an earlier run (the configuration carries the change): verify before going on.
    verify_first: Vec<usize>,
    online: Vec<usize>,
    offline: Vec<usize>,
}

struct Run<'a> {
    client: &'a Arc<NcmClient>,
    changes: &'a [Change],
    opts: &'a BulkOptions,
    fps: Vec<String>,
    plan: Plan,
    book: Mutex<Book>,
    budget: usize,
    pb: crate::progress::ProgressBar,
}

fn log(opts: &BulkOptions, level: &str, msg: &str) {
    if opts.progress {
        crate::logging::log_line(level, msg);
    }
}

impl<'a> Run<'a> {
    fn outcome(&self, i: usize, status: Status, reason: impl Into<String>) -> Outcome {
        let e = &self.plan.entries[i];
        Outcome {
            router: self.changes[i].router.clone(),
            config_manager: self
                .plan
                .states
                .get(&e.router)
                .and_then(|s| s.config_manager.clone()),
            status,
            reason: reason.into(),
            http_status: None,
            wave: 0,
            method: e.verb(),
            paths: e.paths.clone(),
        }
    }

    fn set(&self, i: usize, o: Outcome) {
        self.book.lock().unwrap().results[i] = Some(o);
    }

    fn status(&self, i: usize) -> Option<Status> {
        self.book.lock().unwrap().results[i]
            .as_ref()
            .map(|o| o.status)
    }

    fn failures(&self) -> usize {
        self.book.lock().unwrap().failures
    }

    /// Sorts every change into what is already settled and what is left to do.
    fn classify(&self, invalid: &[Option<String>]) -> Work {
        let mut work = Work::default();
        let journal_marks: Vec<Option<Mark>> = {
            let b = self.book.lock().unwrap();
            self.changes
                .iter()
                .zip(&self.fps)
                .map(|(c, fp)| b.journal.mark(&c.router, fp))
                .collect()
        };
        for (i, e) in self.plan.entries.iter().enumerate() {
            let online = self
                .plan
                .states
                .get(&e.router)
                .is_some_and(RouterState::online);
            let suspended = self.plan.states.get(&e.router).is_some_and(|s| s.suspended);
            if let Some(why) = &invalid[i] {
                self.set(
                    i,
                    self.outcome(i, Status::Failed, format!("invalid change: {why}")),
                );
                continue;
            }
            let earlier = journal_marks[i];
            match (&e.action, earlier) {
                (_, Some(Mark::Verified)) => self.set(i, self.outcome(i, Status::Skipped, "already applied and verified in an earlier run (journal)")),
                (Action::Unchanged, Some(Mark::Writing | Mark::Sent | Mark::Pending | Mark::Failed)) if online => work.verify_first.push(i),
                (Action::Unchanged, Some(Mark::Writing | Mark::Sent | Mark::Pending | Mark::Failed)) => self.set(
                    i,
                    self.outcome(i, Status::Pending, "sent in an earlier run; the device is offline and will sync when it reconnects"),
                ),
                (Action::Unchanged, _) => match self.plan.states.get(&e.router) {
                    Some(s) if s.suspended => self.set(i, self.outcome(i, Status::Failed, "the configuration already carries the change, but the device's config sync is suspended (it rejected or rolled back the config): fix the config, then ncm::resume_sync")),
                    Some(s) if !s.synched && online && self.opts.verify => work.verify_first.push(i),
                    Some(s) if !s.synched => self.set(i, self.outcome(i, Status::Pending, if online {
                        "the configuration already carries the change; the device has not synced it yet (verify is off)"
                    } else {
                        "the configuration already carries the change; the device is offline and has not synced it yet"
                    })),
                    _ => self.set(i, self.outcome(i, Status::Unchanged, "the configuration already carries the change and the device is in sync; not written")),
                },
                (Action::Refuse(why), _) => self.set(i, self.outcome(i, Status::Failed, why.clone())),
                // A router whose sync was suspended before the run cannot sync the change (nor
                // pass a gate) until someone resumes it: written last, like an offline one.
                (Action::Write { .. }, _) if online && !suspended => work.online.push(i),
                (Action::Write { .. }, _) => work.offline.push(i),
            }
        }
        work
    }

    /// Writes one router (journal first, so a crash leaves a trace) and records the result.
    /// Whether it may still be written is asked again once its turn comes (`go_on`, under the
    /// book's lock, after the rate limit): false, and it is not written (returns false).
    fn write_one(
        &self,
        i: usize,
        wave: usize,
        offline: bool,
        pacer: &Option<crate::http::RateLimiter>,
        go_on: &dyn Fn(&Book) -> bool,
    ) -> Result<bool> {
        let e = &self.plan.entries[i];
        let Action::Write { patch, send } = &e.action else {
            return Ok(true);
        };
        let state = self.plan.states.get(&e.router).cloned().unwrap_or_default();
        let cm = state.config_manager.clone().unwrap_or_default();
        let snapshot = Snapshot {
            router: e.router.clone(),
            config_manager: cm.clone(),
            change: self.fps[i].clone(),
            before: state.configuration.clone(),
            secrets: state::secret_paths(send),
        };
        if let Some(p) = pacer {
            p.acquire(&self.client.transport().cancel)?;
        }
        {
            let mut b = self.book.lock().unwrap();
            if self.client.transport().check_cancel().is_err() || !go_on(&b) {
                return Ok(false);
            }
            b.journal.writing(&snapshot, wave)?;
        }
        let body = json!({"configuration": send.to_value()});
        let sent = if *patch {
            self.client.patch("configuration_managers", &cm, &body)
        } else {
            self.client.update("configuration_managers", &cm, &body)
        };
        let mut o = self.outcome(i, Status::Pending, "sent; not verified yet");
        o.wave = wave;
        let mark = match sent {
            Err(Error::Interrupted) => return Err(Error::Interrupted),
            Err(e) => {
                o.http_status = e.status();
                o.status = Status::Failed;
                o.reason = e.reason_without_values();
                Mark::Failed
            }
            Ok(_) if offline && state.suspended => {
                o.reason = "sent; the device's config sync was suspended before the run (an earlier config was rejected): it syncs the change once sync is resumed (ncm::resume_sync)".into();
                Mark::Pending
            }
            Ok(_) if offline => {
                o.reason = "sent; the device is offline and will sync when it reconnects".into();
                Mark::Pending
            }
            Ok(_) => Mark::Sent,
        };
        let mut b = self.book.lock().unwrap();
        if mark == Mark::Failed && !offline {
            b.count_failure(i);
        }
        let journaled = b.journal.record(&e.router, &self.fps[i], mark, &o.reason);
        b.results[i] = Some(o);
        journaled.map(|_| true)
    }

    /// Writes a wave with `concurrency` workers, stopping early on Ctrl-C or (unless `offline`)
    /// once more than `limit` failures are counted. A write in flight when Ctrl-C comes is
    /// finished and journaled before this returns `Error::Interrupted`.
    fn write_wave(&self, idxs: &[usize], wave: usize, offline: bool, limit: usize) -> Result<()> {
        let pacer = crate::http::RateLimiter::per_second(self.opts.rate);
        let next = AtomicUsize::new(0);
        // The first error a worker met (Ctrl-C, the journal): every worker stops before its next write.
        let stopped: Mutex<Option<Error>> = Mutex::new(None);
        let workers = self.opts.concurrency.max(1).min(idxs.len().max(1));
        let go_on =
            |b: &Book| (offline || b.failures <= limit) && stopped.lock().unwrap().is_none();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    if self.client.transport().check_cancel().is_err()
                        || !go_on(&self.book.lock().unwrap())
                    {
                        return;
                    }
                    let Some(&i) = idxs.get(next.fetch_add(1, Ordering::SeqCst)) else {
                        return;
                    };
                    match self.write_one(i, wave, offline, &pacer, &go_on) {
                        Ok(true) => self.pb.inc(1),
                        Ok(false) => return,
                        Err(e) => {
                            // A journal error outranks Ctrl-C: the run must say what it could
                            // not record.
                            let mut first = stopped.lock().unwrap();
                            if first
                                .as_ref()
                                .is_none_or(|f| matches!(f, Error::Interrupted))
                            {
                                *first = Some(e);
                            }
                            return;
                        }
                    }
                });
            }
        });
        if let Some(e) = stopped.into_inner().unwrap() {
            return Err(e);
        }
        self.client.transport().check_cancel()
    }

    /// Holds the routers of a wave that were sent at the health gate and records the verdicts.
    fn gate(
        &self,
        idxs: &[usize],
        wave: usize,
        label: &str,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let sent: Vec<usize> = idxs
            .iter()
            .copied()
            .filter(|&i| matches!(self.status(i), None | Some(Status::Pending)))
            .collect();
        if sent.is_empty() {
            return Ok(());
        }
        if !self.opts.verify {
            for &i in &sent {
                let mut o = self.outcome(i, Status::Ok, "sent (not verified: verify is off)");
                o.wave = wave;
                self.set(i, o);
            }
            return Ok(());
        }
        let watched: Vec<Watched> = sent
            .iter()
            .filter_map(|&i| {
                let s = self.plan.states.get(&self.changes[i].router)?;
                Some(Watched {
                    router: s.router.clone(),
                    config_manager: s.config_manager.clone()?,
                })
            })
            .collect();
        let opts = GateOptions {
            verify_timeout: self.opts.verify_timeout,
            poll_interval: self.opts.poll_interval,
            soak: self.opts.soak,
        };
        let pb = &self.pb;
        let verdicts = gate::run(
            self.client,
            &watched,
            since,
            &opts,
            &mut |p: GateProgress| {
                pb.set_message(format!(
                    "{label}: {} ({} healthy, {} waiting, {} failed)",
                    p.what, p.healthy, p.waiting, p.failed
                ));
            },
        )?;
        let mut b = self.book.lock().unwrap();
        for &i in &sent {
            let router = &self.changes[i].router;
            let (status, mark, reason) = match verdicts.get(router) {
                Some(None) => (
                    Status::Ok,
                    Mark::Verified,
                    "synched and healthy".to_string(),
                ),
                Some(Some(why)) => (Status::Failed, Mark::Failed, why.clone()),
                None => (
                    Status::Failed,
                    Mark::Failed,
                    "no configuration manager to verify".into(),
                ),
            };
            b.journal.record(router, &self.fps[i], mark, &reason)?;
            if status == Status::Failed {
                b.count_failure(i);
            }
            let mut o = self.outcome(i, status, reason);
            o.wave = wave;
            o.http_status = None;
            b.results[i] = Some(o);
        }
        Ok(())
    }

    fn over_budget(&self) -> bool {
        self.failures() > self.budget
    }

    /// Writes and gates every wave, then the offline routers; returns why it halted, if it did.
    fn execute(&self, work: &Work) -> Result<Option<String>> {
        let total = work.verify_first.len() + work.online.len() + work.offline.len();
        if let Some(halt) = self.verify_earlier(&work.verify_first, total)? {
            return Ok(Some(halt));
        }
        let order = self.wave_order(&work.online);
        let sizes = waves::wave_sizes(&self.opts.waves, order.len());
        let mut start = 0;
        for (k, size) in sizes.iter().enumerate() {
            let idxs = &order[start..start + size];
            start += size;
            if let Some(halt) = self.run_wave(idxs, k + 1, sizes.len(), total)? {
                return Ok(Some(halt));
            }
        }
        self.write_offline(&work.offline, sizes.len() + 1)?;
        Ok(None)
    }

    /// Gates the routers an earlier run sent to before writing anything; returns why it
    /// halted, if they took the run over its failure budget.
    fn verify_earlier(&self, verify_first: &[usize], total: usize) -> Result<Option<String>> {
        if verify_first.is_empty() {
            return Ok(None);
        }
        log(
            self.opts,
            "INFO",
            &format!(
                "{}: verifying {} router(s) an earlier run sent",
                self.opts.label,
                verify_first.len()
            ),
        );
        self.gate(
            verify_first,
            0,
            "verifying earlier writes",
            chrono::Utc::now(),
        )?;
        if self.over_budget() {
            return Ok(Some(
                self.halt_reason("verifying what an earlier run sent", total),
            ));
        }
        Ok(None)
    }

    /// The online routers in the order the waves take them: kinds (product, firmware) spread
    /// so that each wave, the canaries first, has as many kinds as it can.
    fn wave_order(&self, online: &[usize]) -> Vec<usize> {
        let kinds: Vec<(String, String)> = online
            .iter()
            .map(|&i| {
                self.plan
                    .states
                    .get(&self.changes[i].router)
                    .map(|s| (s.product.clone(), s.firmware.clone()))
                    .unwrap_or_default()
            })
            .collect();
        waves::spread(&kinds)
            .into_iter()
            .map(|k| online[k])
            .collect()
    }

    /// Writes and gates wave `wave` of `waves`; returns why the run halts after it, if it does
    /// (a failed canary, or the failure budget spent).
    fn run_wave(
        &self,
        idxs: &[usize],
        wave: usize,
        waves: usize,
        total: usize,
    ) -> Result<Option<String>> {
        let size = idxs.len();
        let label = format!("{}: wave {wave}/{waves}", self.opts.label);
        log(
            self.opts,
            "INFO",
            &format!("{label}: writing {size} router(s)"),
        );
        self.pb.set_message(format!("{label}: writing"));
        let since = chrono::Utc::now();
        // The canaries (the first of several waves) may not fail at all.
        let canary = wave == 1 && waves > 1;
        let limit = if canary { self.failures() } else { self.budget };
        self.write_wave(idxs, wave, false, limit)?;
        if self.failures() <= limit {
            self.gate(idxs, wave, &label, since)?;
        }
        if canary && self.failures() > limit {
            return Ok(Some(self.canary_halt(waves, idxs)));
        }
        if self.over_budget() {
            return Ok(Some(
                self.halt_reason(&format!("by wave {wave}/{waves}"), total),
            ));
        }
        if self.opts.verify {
            let failed = idxs
                .iter()
                .filter(|&&i| self.status(i) == Some(Status::Failed))
                .count();
            log(
                self.opts,
                "INFO",
                &format!(
                    "{label}: {} healthy, {failed} failed; within the failure budget ({} so far)",
                    idxs.len() - failed,
                    self.failures()
                ),
            );
        }
        Ok(None)
    }

    /// Writes the offline or suspended routers last, as wave `wave`, without gating them.
    fn write_offline(&self, offline: &[usize], wave: usize) -> Result<()> {
        if offline.is_empty() {
            return Ok(());
        }
        log(
            self.opts,
            "INFO",
            &format!(
                "{}: writing {} offline or suspended router(s) last; they sync when they reconnect or their sync is resumed",
                self.opts.label,
                offline.len()
            ),
        );
        self.pb
            .set_message(format!("{}: offline routers", self.opts.label));
        self.write_wave(offline, wave, true, usize::MAX)?;
        Ok(())
    }

    /// Reverts what this run's journal says was written, and notes it on each outcome.
    fn roll_back(&self) -> Result<Vec<Reverted>> {
        let mine: HashMap<&str, usize> = self
            .changes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.router.as_str(), i))
            .collect();
        let mut b = self.book.lock().unwrap();
        let snapshots: Vec<Snapshot> = b
            .journal
            .to_roll_back()
            .into_iter()
            .filter(|s| {
                mine.get(s.router.as_str())
                    .is_some_and(|&i| self.fps[i] == s.change)
            })
            .collect();
        log(
            self.opts,
            "WARN",
            &format!(
                "{}: rolling back {} router(s)",
                self.opts.label,
                snapshots.len()
            ),
        );
        let reverted = rollback::rollback(self.client, &snapshots, &mut b.journal, self.opts.rate)?;
        for r in &reverted {
            let Some(o) = mine
                .get(r.router.as_str())
                .and_then(|&i| b.results[i].as_mut())
            else {
                continue;
            };
            match (o.status, r.status) {
                (Status::Failed, _) => {
                    o.reason = format!("{}; {}: {}", o.reason, r.status, r.reason)
                }
                (_, "rolled back" | "nothing to revert") => {
                    o.status = Status::RolledBack;
                    o.reason = format!("rolled back: {}", r.reason);
                }
                (_, "rolled back (value pinned)") => {
                    o.status = Status::RolledBackPinned;
                    o.reason = format!("rolled back: {}", r.reason);
                }
                (_, "needs manual rollback") => {
                    o.status = Status::ManualRollback;
                    o.reason = r.reason.clone();
                }
                _ => o.reason = format!("{}; rollback failed: {}", o.reason, r.reason),
            }
        }
        Ok(reverted)
    }

    fn dry_run(&self) {
        let t = self.client.transport();
        for line in state::render(&self.opts.label, &self.plan.entries, &self.plan.states) {
            t.dry_run_note(&format!("dry-run: {line}"));
        }
        for (i, e) in self.plan.entries.iter().enumerate() {
            let o = match &e.action {
                Action::Write { .. } => {
                    t.stats.dry_run_writes.fetch_add(1, Ordering::Relaxed);
                    self.outcome(i, Status::Skipped, "dry run: planned, not sent")
                }
                Action::Unchanged => self.outcome(
                    i,
                    Status::Unchanged,
                    "the configuration already carries the change; not written",
                ),
                Action::Refuse(why) => self.outcome(i, Status::Failed, why.clone()),
            };
            self.set(i, o);
        }
    }

    /// How many routers this run sent a write to.
    fn written(&self) -> usize {
        let b = self.book.lock().unwrap();
        // A write the API refused changed nothing; one the gate failed did.
        b.results
            .iter()
            .flatten()
            .filter(|o| o.wave > 0 && !(o.status == Status::Failed && o.http_status.is_some()))
            .count()
    }

    /// Every outcome, the ones never reached reported `skipped` with `why`.
    fn outcomes(&self, why: &str) -> Vec<Outcome> {
        let results = std::mem::take(&mut self.book.lock().unwrap().results);
        results
            .into_iter()
            .enumerate()
            .map(|(i, o)| o.unwrap_or_else(|| self.outcome(i, Status::Skipped, why)))
            .collect()
    }
}

/// Applies every change (see the module). Returns one outcome per change, in order. A halted
/// run returns normally with `Report::halted` set; an interrupted one (Ctrl-C) leaves the
/// journal written and returns `Error::Interrupted`.
pub fn apply_all(
    client: &Arc<NcmClient>,
    changes: &[Change],
    opts: &BulkOptions,
) -> Result<Report> {
    let dry = client.transport().options.dry_run;
    let invalid = first_problems(changes);
    let journal = Journal::open(if dry { None } else { opts.journal.as_ref() })?;
    journal.intact()?;
    let plan = plan(client, changes, opts)?;
    let run = Run::new(client, changes, opts, journal, plan);
    if dry {
        run.dry_run();
        return Ok(Report {
            outcomes: run.outcomes("dry run"),
            ..Report::default()
        });
    }
    let work = run.classify(&invalid);
    let run = run.with_budget_and_progress(&work);
    let halted = run.execute_noting_a_stop(&work)?;
    run.report(halted)
}

/// Each change's first problem as a configuration (its value left out), if it has one.
fn first_problems(changes: &[Change]) -> Vec<Option<String>> {
    changes
        .iter()
        .map(|c| {
            crate::diff::validate(&c.diff.to_value())
                .into_iter()
                .next()
                .map(|i| i.without_value())
        })
        .collect()
}

impl<'a> Run<'a> {
    /// A run of `changes` as planned, with no failure budget and no progress bar yet.
    fn new(
        client: &'a Arc<NcmClient>,
        changes: &'a [Change],
        opts: &'a BulkOptions,
        journal: Journal,
        plan: Plan,
    ) -> Run<'a> {
        Run {
            client,
            changes,
            opts,
            fps: changes
                .iter()
                .map(|c| fingerprint(&c.diff, opts.method))
                .collect(),
            book: Mutex::new(Book {
                results: vec![None; changes.len()],
                journal,
                failures: 0,
                counted: vec![],
            }),
            plan,
            budget: usize::MAX,
            pb: crate::progress::ProgressBar::hidden(),
        }
    }

    /// The run with its failure budget (of every router it writes or verifies) and a progress
    /// bar over the routers it writes.
    fn with_budget_and_progress(self, work: &Work) -> Run<'a> {
        let opts = self.opts;
        let total = work.verify_first.len() + work.online.len() + work.offline.len();
        Run {
            budget: opts.max_failures.map_or(usize::MAX, |a| a.of(total, false)),
            pb: progress_bar(
                work.online.len() + work.offline.len(),
                &opts.label,
                opts.progress,
            ),
            ..self
        }
    }
}
