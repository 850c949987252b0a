//! `wmo-monitor serve`: runs the schedules until SIGTERM or Ctrl-C.
//!
//! tokio-cron-scheduler is the trigger: it wakes the loop at the start of
//! every minute (a UTC cron, which no daylight-saving switch can shift).
//! Whether a schedule is due is then decided by [`Scheduler`] on the
//! schedule's own wall clock, from the run log, so a run missed while the
//! machine was off is due at once at start-up.
//!
//! A job runs on its own thread (the stages start their own query runtime).
//! With `[sql_server]` configured, the Postgres endpoint listens too, on a
//! thread of its own, until `serve` exits.
//! On SIGTERM no new run starts; a running one is finished and recorded, so
//! the lake is left as after any run, then `serve` exits.

use crate::config::Config;
use crate::error::{Context, Error, Result};
use crate::lake::Lake;
use crate::lake::store::try_lock_file;
use crate::schedule::definition;
use crate::schedule::runlog::{self, Run};
use crate::schedule::scheduler::{Due, Scheduler};
use chrono::{DateTime, Utc};
use std::fs::File;
use tokio::sync::{mpsc, oneshot};
use tokio_cron_scheduler::{Job as CronJob, JobScheduler};

/// What a finished job thread sends back.
type Outcome = (Due, DateTime<Utc>, Result<String>);

pub fn serve(config: &Config) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("cannot start the scheduler's runtime")?;
    runtime.block_on(serve_until_stopped(config))
}

async fn serve_until_stopped(config: &Config) -> Result<()> {
    let schedules = definition::load(&config.paths.schedules)?;
    let _lock = serve_lock(config)?;
    // Listening for SIGTERM before anything answers: a SIGTERM sent as soon as
    // the endpoint answers must stop serve cleanly, not kill it.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot listen for SIGTERM")?;
    // The analysts' endpoint, when configured, on a thread and runtime of its
    // own: its queries never wait for the scheduler's one thread, nor the
    // other way round. Started after the lock, so a second `serve` says why.
    if let Some(address) = crate::sql_server::start_in_background(config)? {
        println!("SQL endpoint on {address} (see `wmo-monitor sql-server`)");
    }
    let lake = Lake::of(config)?;
    let mut scheduler = Scheduler::new(schedules, &runlog::last_slots(&runlog::read(&lake)?), Utc::now());
    for (index, s) in scheduler.schedules.iter().enumerate() {
        let next = scheduler.next_time(index).map(|t| local(t, s.timezone)).unwrap_or_else(|| "never".into());
        println!("schedule {} ({}): cron \"{}\" in {}; next run {next}", s.naam, s.job, s.cron.pattern, s.timezone);
    }

    let (tick, mut ticks) = mpsc::channel::<()>(4);
    let trigger = JobScheduler::new().await.map_err(cron_error)?;
    let heartbeat = CronJob::new_async("0 * * * * *", move |_, _| {
        let tick = tick.clone();
        Box::pin(async move {
            let _ = tick.try_send(());
        })
    })
    .map_err(cron_error)?;
    trigger.add(heartbeat).await.map_err(cron_error)?;
    trigger.start().await.map_err(cron_error)?;

    let mut job: Option<oneshot::Receiver<Outcome>> = None;
    let mut stopping = false;
    loop {
        if job.is_none()
            && !stopping
            && let Some(due) = scheduler.next(Utc::now())
        {
            job = Some(start(config, &mut scheduler, due));
        }
        tokio::select! {
            _ = ticks.recv() => {}
            outcome = async {
                match job.as_mut() {
                    Some(running) => running.await,
                    None => std::future::pending().await,
                }
            } => {
                job = None;
                if let Ok(outcome) = outcome {
                    finish(&lake, &mut scheduler, outcome)?;
                }
                if stopping {
                    break;
                }
            }
            _ = terminate.recv() => stopping = stop(job.is_some()),
            _ = tokio::signal::ctrl_c() => stopping = stop(job.is_some()),
        }
        if stopping && job.is_none() {
            break;
        }
    }
    let mut trigger = trigger;
    let _ = trigger.shutdown().await;
    println!("serve stopped");
    Ok(())
}

/// Asked to stop: no new run starts; a running one is finished first.
fn stop(running: bool) -> bool {
    if running {
        println!("stopping: waiting for the running job to finish");
    }
    true
}

/// Starts the due run on its own thread.
fn start(config: &Config, scheduler: &mut Scheduler, due: Due) -> oneshot::Receiver<Outcome> {
    scheduler.start(due);
    let schedule = &scheduler.schedules[due.index];
    let (job, zone) = (schedule.job, schedule.timezone);
    println!("{}: {} started (scheduled {})", schedule.naam, job, local(due.gepland, zone));
    let (done, outcome) = oneshot::channel();
    let config = config.clone();
    std::thread::spawn(move || {
        let started = Utc::now();
        let today = started.with_timezone(&zone).date_naive();
        let result = super::jobs::run(&config, job, today);
        let _ = done.send((due, started, result));
    });
    outcome
}

fn finish(lake: &Lake, scheduler: &mut Scheduler, (due, gestart, result): Outcome) -> Result<()> {
    scheduler.finish(due);
    let schedule = &scheduler.schedules[due.index];
    let run = Run {
        schema: schedule.naam.clone(),
        taak: schedule.job.to_string(),
        gepland: due.gepland,
        gestart,
        klaar: Utc::now(),
        gelukt: result.is_ok(),
        melding: match &result {
            Ok(summary) => summary.trim().to_string(),
            Err(e) => e.to_string(),
        },
    };
    match &result {
        Ok(_) => println!("{}: {} done", run.schema, run.taak),
        Err(e) => {
            tracing::error!("scheduled run {} ({}) failed: {e}", run.schema, run.taak);
            println!("{}: {} FAILED: {e}", run.schema, run.taak);
        }
    }
    runlog::record(lake, &run)?;
    if let Some(next) = scheduler.next_time(due.index) {
        println!("{}: next run {}", run.schema, local(next, schedule.timezone));
    }
    Ok(())
}

/// One scheduler per deployment: a second `serve` would run every job twice.
fn serve_lock(config: &Config) -> Result<File> {
    std::fs::create_dir_all(&config.paths.data).map_err(Error::io("cannot create", &config.paths.data))?;
    let path = config.paths.data.join("serve.lock");
    try_lock_file(&path)?.ok_or_else(|| {
        Error::Invalid(format!(
            "another `wmo-monitor serve` is running for this deployment (lock file {})",
            path.display()
        ))
    })
}

fn local(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M %Z").to_string()
}

fn cron_error(e: tokio_cron_scheduler::JobSchedulerError) -> Error {
    Error::Invalid(format!("the scheduler's trigger (tokio-cron-scheduler) failed: {e}"))
}
