//! Moving between steps: rebuilding the state a step starts from, entering it, passing or
//! skipping it, and the lesson's own commands (setup, `run`, solutions).

use super::{
    Event, FIXTURE_BATCH, LoadProgress, Session, SessionError, StepProof, Verdict, Who,
    WrongWayKind, WrongWayProblem, wait_for,
};
use crate::command::tokenize::join_args;
use crate::engine::explain::Explanation;
use crate::engine::fixtures::{FixtureProblem, parse_commands};
use crate::engine::requirements;
use crate::lesson::catalog::Entry;
use crate::lesson::loader::args_of;
use crate::lesson::model::{CommandSpec, Fault};
use crate::server::backend::{Backend, NodeFault};
use crate::server::connection::Outcome;
use crate::server::reply::Reply;
use crate::server::safety::Sender;
use std::time::Duration;

impl<B: Backend> Session<B> {
    /// Clean state, fixtures, setup, then the solutions of the steps before `target`.
    pub(super) fn rebuild(
        &mut self,
        target: usize,
        progress: LoadProgress,
    ) -> Result<Vec<Event>, SessionError> {
        self.learner_node = None;
        self.backend.reset()?;
        self.load_fixtures(progress)?;
        let lesson = self.lesson.clone();
        for spec in &lesson.setup {
            let events = self.run_spec(
                &spec.value,
                crate::lesson::model::DEFAULT_CLIENT,
                None,
                Who::Lesson,
            )?;
            // The steps rely on their setup: a refused one ends the lesson instead of leaving it
            // half-built.
            if let Some(Event::Refused(reason)) =
                events.iter().find(|e| matches!(e, Event::Refused(_)))
            {
                return Err(SessionError::SetupRefused(reason.clone()));
            }
        }
        let target = target.min(lesson.steps.len() - 1);
        for index in 0..target {
            self.step = index;
            if self.step_unavailable(index).is_some() {
                continue;
            }
            for spec in lesson.steps[index]
                .run
                .iter()
                .chain(&lesson.steps[index].solution)
            {
                let step = &lesson.steps[index];
                self.run_spec(
                    &spec.value,
                    step.learner_client(),
                    step.on.as_deref(),
                    Who::Lesson,
                )?;
            }
        }
        self.finished = false;
        self.enter_step(target)
    }

    fn load_fixtures(&mut self, progress: LoadProgress) -> Result<(), SessionError> {
        let mut all = Vec::new();
        for fixture in &self.lesson.fixtures {
            let bytes = self
                .entry
                .fixture(&fixture.value)
                .map_err(|e| SessionError::Fixture(e.into()))?;
            all.extend(parse_commands(&fixture.value, &bytes).map_err(SessionError::Fixture)?);
        }
        let total = all.len();
        let mut done = 0;
        // Every line is judged before the first is sent: a refused one sends nothing.
        for args in &all {
            if let Some(reason) =
                self.backend
                    .refusal(None, args, Sender::Lesson, self.external())?
            {
                return Err(SessionError::Fixture(FixtureProblem::Refused { reason }));
            }
        }
        for batch in all.chunks(FIXTURE_BATCH) {
            self.backend.track_all(None, batch, false)?;
            let replies = self.backend.pipeline(
                None,
                crate::lesson::model::DEFAULT_CLIENT,
                batch.to_vec(),
            )?;
            if let Some((args, Reply::Error(e))) =
                batch.iter().zip(&replies).find(|(_, r)| r.is_error())
            {
                return Err(SessionError::Fixture(FixtureProblem::Failed {
                    command: join_args(args),
                    reply: e.clone(),
                }));
            }
            done += batch.len();
            progress(done, total);
        }
        Ok(())
    }

    pub(super) fn enter_step(&mut self, index: usize) -> Result<Vec<Event>, SessionError> {
        self.step = index;
        self.client_override = None;
        self.learner_node = None; // a MOVED followed in an earlier step does not carry over
        self.hints_shown = 0;
        self.used.clear();
        self.counted = Default::default();
        self.replies.clear();
        self.explanations.clear();
        let step = self.lesson.steps[index].clone();
        if let Some(reason) = self.step_unavailable(index) {
            if !self.unavailable.iter().any(|(i, _)| *i == index) {
                self.unavailable.push((index, reason.clone()));
            }
            let mut events = vec![Event::StepUnavailable { index, reason }];
            events.extend(self.advance()?);
            return Ok(events);
        }
        let mut events = vec![Event::StepStarted { index }];
        self.recording = false;
        for spec in &step.run {
            let result = self.run_spec(
                &spec.value,
                step.learner_client(),
                step.on.as_deref(),
                Who::Lesson,
            );
            if result.is_err() {
                self.recording = true;
            }
            events.extend(result?);
        }
        self.recording = true;
        Ok(events)
    }

    /// Why step `index` cannot run on this server (a module or version it alone needs).
    fn step_unavailable(&self, index: usize) -> Option<String> {
        let requires = self.lesson.steps[index].requires.as_ref()?;
        requirements::unmet_step(requires, &self.facts)
    }

    /// Runs one command of a lesson (setup, run or solution) and reports what happened.
    /// `default_node` is the step's `on`, for commands that name no node themselves.
    fn run_spec(
        &mut self,
        spec: &CommandSpec,
        default_client: &str,
        default_node: Option<&str>,
        who: Who,
    ) -> Result<Vec<Event>, SessionError> {
        let node = spec.on.as_deref().or(default_node);
        let mut events = Vec::new();
        if let Some(extra_args) = &spec.restart {
            if !self.backend.is_sandbox() {
                return Ok(vec![Event::Refused(
                    "redis-lab restarts only servers it started".into(),
                )]);
            }
            self.backend.crash_and_restart(extra_args)?;
            let with = if extra_args.is_empty() {
                String::new()
            } else {
                format!(" with {}", extra_args.join(" "))
            };
            events.push(Event::Notice(format!(
                "The server was killed (as in a crash: nothing saved on the way out) and started again on the same data directory{with}."
            )));
        }
        if let Some(fault) = &spec.fault {
            events.push(self.inject(fault)?);
        }
        if let (Some(args), Some(count)) = (&spec.cmd, spec.repeat) {
            let args = args_of(args)?;
            let client = spec.client.as_deref().unwrap_or(default_client).to_string();
            events.push(self.measure(node, &client, &args, count, spec.pipeline, Who::Lesson)?);
        } else if let Some(args) = &spec.cmd {
            let args = args_of(args)?;
            let client = spec.client.as_deref().unwrap_or(default_client).to_string();
            let wait = if spec.background {
                Duration::from_millis(20)
            } else {
                wait_for(&args)
            };
            // A command sent to block (BLPOP, XREAD BLOCK): on with the lesson only once the
            // server counts it blocked, so a busy machine cannot run the next check first.
            let blocked_before = if spec.background && crate::engine::explain::may_block(&args) {
                self.blocked_clients(node)
            } else {
                None
            };
            let ran = self.execute(node, &client, &args, who, wait)?;
            // Only a command still waiting for its reply is blocked (a BLPOP on a full list
            // answers at once).
            let waiting = ran.iter().any(|e| {
                matches!(
                    e,
                    Event::Command {
                        outcome: Outcome::Waiting,
                        ..
                    }
                )
            });
            events.extend(ran);
            if let Some(before) = blocked_before.filter(|_| waiting) {
                let deadline = std::time::Instant::now() + Duration::from_secs(2);
                while self.blocked_clients(node).is_some_and(|now| now <= before)
                    && std::time::Instant::now() < deadline
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
        if let Some(ms) = spec.wait_ms {
            std::thread::sleep(Duration::from_millis(ms));
            events.push(Event::Paused { ms });
            events.extend(self.released(None, Duration::ZERO));
        }
        Ok(events)
    }

    /// `blocked_clients` of INFO clients on node `at`, by redis-lab's own connection; None when
    /// the server does not say.
    fn blocked_clients(&mut self, at: Option<&str>) -> Option<u64> {
        let args = [b"INFO".to_vec(), b"clients".to_vec()];
        match self.backend.run(
            at,
            crate::engine::explain::OBSERVER,
            &args,
            Duration::from_secs(2),
        ) {
            Ok(crate::server::connection::Outcome::Done(reply)) => {
                crate::command::info_field(&reply.as_text()?, "blocked_clients")?
                    .parse()
                    .ok()
            }
            _ => None,
        }
    }

    /// Stops, starts, freezes or thaws a node of the topology, and says so.
    fn inject(&mut self, fault: &Fault) -> Result<Event, SessionError> {
        let (name, kind, text) = match fault {
            Fault::Stop(name) => (
                name,
                NodeFault::Stop,
                format!("{name} was stopped (killed, as in a crash)."),
            ),
            Fault::Start(name) => (
                name,
                NodeFault::Start,
                format!("{name} was started again, on the same port and data."),
            ),
            Fault::Pause(name) => (
                name,
                NodeFault::Pause,
                format!("{name} is frozen (SIGSTOP): it hangs without dying."),
            ),
            Fault::Resume(name) => (
                name,
                NodeFault::Resume,
                format!("{name} is running again (SIGCONT)."),
            ),
        };
        self.backend.fault(name, kind)?;
        Ok(Event::Notice(text))
    }

    /// The last command's explanation; when it changed nothing, also the last one that did, so
    /// the learner sees both what they just ran and what changed the state.
    fn explanations_to_show(&mut self) -> Vec<Explanation> {
        let all = std::mem::take(&mut self.explanations);
        let wrote = |e: &Explanation| e.wrote || e.changes.iter().any(|c| c.changed());
        let Some(last) = all.last().cloned() else {
            return Vec::new();
        };
        if wrote(&last) {
            return vec![last];
        }
        match all[..all.len() - 1].iter().rev().find(|e| wrote(e)) {
            Some(earlier) => vec![earlier.clone(), last],
            None => vec![last],
        }
    }

    pub(super) fn pass_step(&mut self) -> Result<Vec<Event>, SessionError> {
        let index = self.step;
        let mut events = vec![Event::StepPassed {
            index,
            explanations: self.explanations_to_show(),
        }];
        events.extend(self.advance()?);
        Ok(events)
    }

    fn advance(&mut self) -> Result<Vec<Event>, SessionError> {
        if self.step + 1 >= self.lesson.steps.len() {
            self.finished = true;
            return Ok(vec![Event::LessonFinished]);
        }
        self.enter_step(self.step + 1)
    }

    /// Runs the current step's solution as the lesson (used by `skip`, `--auto` and proofs).
    pub fn run_solution(&mut self) -> Result<Vec<Event>, SessionError> {
        let step = self.step().clone();
        let mut events = Vec::new();
        for spec in &step.solution {
            events.extend(self.run_spec(
                &spec.value,
                step.learner_client(),
                step.on.as_deref(),
                Who::Lesson,
            )?);
        }
        Ok(events)
    }

    /// Runs the solution so the next step starts from a consistent state, then moves on.
    pub fn skip(&mut self) -> Result<Vec<Event>, SessionError> {
        if self.finished {
            return Ok(vec![Event::Notice("This lesson is complete.".into())]);
        }
        let mut events = self.run_solution()?;
        // A solution that does not complete its step (a broken lesson, or a server that
        // answers differently) must not move on as if it had: say so, and stay.
        let verdict = self.evaluate(true)?;
        if !verdict.passed() {
            events.push(Event::Notice(
                ":skip ran the solution, but this step's checks still fail, so you stay on it \
                 (:retry starts it again; `redis-lab check --run` proves the lesson):"
                    .into(),
            ));
            events.push(Event::NotYet {
                failures: verdict.failures(),
            });
            return Ok(events);
        }
        events.push(Event::StepSkipped { index: self.step });
        events.extend(self.advance()?);
        Ok(events)
    }

    /// `--auto`: runs the step's solution, checks the result, and moves on either way.
    pub fn auto_step(&mut self) -> Result<(Vec<Event>, Verdict), SessionError> {
        let mut events = self.run_solution()?;
        let verdict = self.evaluate(true)?;
        if verdict.passed() {
            events.extend(self.pass_step()?);
        } else {
            events.push(Event::NotYet {
                failures: verdict.failures(),
            });
            events.extend(self.advance()?);
        }
        Ok((events, verdict))
    }

    /// Proves the current step: every check must fail before the solution and pass after it.
    pub fn prove_step(&mut self) -> Result<StepProof, SessionError> {
        let index = self.step;
        let before = self.evaluate(false)?;
        let wrong_ways = self.prove_wrong_ways()?;
        self.run_solution()?;
        let after = self.evaluate(true)?;
        let proof = StepProof {
            index,
            passing_before: before
                .checks
                .iter()
                .zip(&self.step().checks)
                .enumerate()
                .filter(|(_, (result, check))| result.is_ok() && !check.guard)
                .map(|(i, _)| i)
                .collect(),
            failing_after: after.failures(),
            wrong_ways,
        };
        if after.passed() {
            self.pass_step()?;
        } else {
            self.advance()?;
        }
        Ok(proof)
    }

    /// Types each of the current step's wrong ways as the learner would, from the state the
    /// step starts in (rebuilt after each one, so the solution starts from it too). A wrong way
    /// must leave the step unpassed, and must itself run: one refused or answered with an error
    /// never tried what it stands for.
    pub fn prove_wrong_ways(&mut self) -> Result<Vec<WrongWayProblem>, SessionError> {
        let index = self.step;
        let wrong = self.step().wrong.clone();
        if wrong.is_empty() {
            return Ok(Vec::new());
        }
        // The rebuilds run the earlier steps' commands again: their errors are already counted.
        let errors = std::mem::take(&mut self.lesson_errors);
        let mut problems = Vec::new();
        for way in &wrong {
            let kind = self.try_wrong_way(&way.value.lines)?;
            if let Some(kind) = kind {
                problems.push(WrongWayProblem {
                    line: way.referenced.line() as usize,
                    column: way.referenced.column() as usize,
                    typed: way.value.lines.join("; "),
                    kind,
                });
            }
            self.rebuild(index, &mut |_, _| {})?;
        }
        self.lesson_errors = errors;
        Ok(problems)
    }

    /// Types `lines` as the learner; what is wrong with them as a wrong way, if anything.
    /// In a step about an error (a check expects `error: PREFIX`), that error is what the
    /// learner is meant to meet, so a wrong way that meets it (on another key, say) still tried
    /// what it stands for; any other error means it did not.
    fn try_wrong_way(&mut self, lines: &[String]) -> Result<Option<WrongWayKind>, SessionError> {
        let taught: Vec<String> = self
            .step()
            .checks
            .iter()
            .filter_map(|c| match &c.expect.value {
                crate::lesson::model::Matcher::Error(prefix) => Some(prefix.clone()),
                _ => None,
            })
            .collect();
        for line in lines {
            let events = self.submit(line)?;
            for event in &events {
                match event {
                    Event::Refused(reason) => {
                        return Ok(Some(WrongWayKind::Refused {
                            line: line.clone(),
                            reason: reason.clone(),
                        }));
                    }
                    Event::Command {
                        who: Who::Learner,
                        outcome: Outcome::Done(Reply::Error(error)),
                        ..
                    } if !taught
                        .iter()
                        .any(|prefix| error.starts_with(prefix.as_str())) =>
                    {
                        return Ok(Some(WrongWayKind::Errored {
                            line: line.clone(),
                            error: error.clone(),
                        }));
                    }
                    Event::StepPassed { .. } => return Ok(Some(WrongWayKind::Passed)),
                    _ => {}
                }
            }
        }
        Ok(None)
    }

    /// Error replies the lesson's own commands got since the last call, with their step index.
    pub fn take_lesson_errors(&mut self) -> Vec<(usize, String)> {
        std::mem::take(&mut self.lesson_errors)
    }

    /// Steps skipped so far because the server lacks what they need: (index, reason).
    pub fn unavailable_steps(&self) -> &[(usize, String)] {
        &self.unavailable
    }

    /// The next hint: (number, of how many, text).
    pub fn next_hint(&mut self) -> Option<(usize, usize, String)> {
        let hints = self.step().hints.clone();
        if hints.is_empty() {
            return None;
        }
        let shown = self.hints_shown.min(hints.len() - 1);
        self.hints_shown = (self.hints_shown + 1).min(hints.len());
        Some((shown + 1, hints.len(), hints[shown].value.clone()))
    }

    /// The solution as lines a learner could type.
    pub fn solution_lines(&self) -> Vec<String> {
        self.step()
            .solution
            .iter()
            .filter_map(|spec| {
                let args = args_of(spec.value.cmd.as_ref()?).ok()?;
                let line = match spec.value.repeat {
                    // As the learner sends a batch: `:pipe 1000 SET k:{i} v`.
                    Some(n) if spec.value.pipeline => format!(":pipe {n} {}", join_args(&args)),
                    Some(n) => format!(":time {n} {}", join_args(&args)),
                    None => join_args(&args),
                };
                Some(match &spec.value.client {
                    Some(client) if client != self.learner_client() => {
                        format!("{line}   (as client {client})")
                    }
                    _ => line,
                })
            })
            .collect()
    }

    /// Swaps in a new version of the lesson (watch mode) and rebuilds the server at the step with
    /// the same id, or the nearest one if it is gone.
    pub fn replace_lesson(
        &mut self,
        entry: Entry,
        progress: LoadProgress,
    ) -> Result<Vec<Event>, SessionError> {
        let current = self.step().id().to_string();
        let index = entry
            .lesson
            .steps
            .iter()
            .position(|s| s.id() == current)
            .unwrap_or(self.step.min(entry.lesson.steps.len().saturating_sub(1)));
        self.lesson = entry.lesson.clone();
        self.entry = entry;
        self.backend.mark_dirty();
        self.rebuild(index, progress)
    }

    /// Goes to step `index` (0-based), rebuilding the server state for it.
    pub fn goto(
        &mut self,
        index: usize,
        progress: LoadProgress,
    ) -> Result<Vec<Event>, SessionError> {
        self.rebuild(index, progress)
    }

    /// Starts the current step again from its initial state.
    pub fn retry(&mut self, progress: LoadProgress) -> Result<Vec<Event>, SessionError> {
        let step = self.step;
        self.rebuild(step, progress)
    }

    pub fn back(&mut self, progress: LoadProgress) -> Result<Vec<Event>, SessionError> {
        let target = if self.finished {
            self.step
        } else {
            self.step.saturating_sub(1)
        };
        self.rebuild(target, progress)
    }

    /// After a lost connection: restart the sandbox (or reconnect) and rebuild the current step.
    pub fn recover(&mut self, progress: LoadProgress) -> Result<Vec<Event>, SessionError> {
        self.backend.recover()?;
        let step = self.step;
        self.rebuild(step, progress)
    }
}
