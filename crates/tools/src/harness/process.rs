//! Child processes (the load generators) and the scratch directory their inputs and outputs
//! live in.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// Extra time a timed run (wrk, pgbench) may take beyond its duration before it is killed.
pub const GRACE: Duration = Duration::from_secs(90);

/// The first `program` on `PATH`.
pub fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
}

/// A temporary directory for request lists, scripts and process output, removed on drop.
pub struct WorkDir {
    /// The benchmark's name: the directory's and the messages' prefix.
    who: String,
    dir: PathBuf,
}

impl WorkDir {
    /// `$TMPDIR/diachinh-<who>-<pid>`.
    pub fn create(who: &str) -> Result<WorkDir> {
        let dir = std::env::temp_dir().join(format!("diachinh-{who}-{}", std::process::id()));
        fs::create_dir_all(&dir).with_context(|| format!("while creating {}", dir.display()))?;
        Ok(WorkDir { who: who.to_string(), dir })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes `text` to the file `name` in the directory and returns its path.
    pub fn write(&self, name: &str, text: &str) -> Result<PathBuf> {
        let path = self.path(name);
        fs::write(&path, text).with_context(|| format!("while writing {}", path.display()))?;
        Ok(path)
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Err(e) = fs::remove_dir_all(&self.dir) {
            eprintln!("{}: could not remove {}: {e}", self.who, self.dir.display());
        }
    }
}

/// What a finished child process printed.
#[derive(Debug)]
pub struct ChildOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl ChildOutput {
    /// The last 20 lines of stdout and of stderr, for error messages.
    pub fn text(&self) -> String {
        let tail =
            |s: &str| s.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
        format!("{}\n{}", tail(&self.stdout), tail(&self.stderr)).trim().to_string()
    }
}

/// Runs `cmd` with its output in files of `work` (no pipe can fill up), killing it after
/// `limit`. A non-zero exit is not an error here: see [`ChildOutput::success`].
pub fn run_bounded(mut cmd: Command, work: &WorkDir, name: &str, limit: Duration) -> Result<ChildOutput> {
    let stdout_path = work.path(&format!("{name}.stdout"));
    let stderr_path = work.path(&format!("{name}.stderr"));
    let stdout = fs::File::create(&stdout_path).with_context(|| format!("while creating {}", stdout_path.display()))?;
    let stderr = fs::File::create(&stderr_path).with_context(|| format!("while creating {}", stderr_path.display()))?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("while starting {name}"))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{name} did not finish within {} s and was killed", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let read = |p: &Path| fs::read_to_string(p).with_context(|| format!("while reading {}", p.display()));
    Ok(ChildOutput { success: status.success(), stdout: read(&stdout_path)?, stderr: read(&stderr_path)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_run_captures_output_and_status() {
        let work = WorkDir::create("harness-test-run").unwrap();
        let mut ok = Command::new("sh");
        ok.args(["-c", "echo out; echo err >&2"]);
        let out = run_bounded(ok, &work, "ok", Duration::from_secs(30)).unwrap();
        assert!(out.success);
        assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("out\n", "err\n"));
        assert_eq!(out.text(), "out\nerr");

        let mut failing = Command::new("sh");
        failing.args(["-c", "exit 3"]);
        assert!(!run_bounded(failing, &work, "failing", Duration::from_secs(30)).unwrap().success);

        let mut slow = Command::new("sleep");
        slow.arg("30");
        let err = run_bounded(slow, &work, "slow", Duration::from_millis(300)).unwrap_err();
        assert!(err.to_string().contains("killed"), "{err}");

        let dir = work.path("");
        drop(work);
        assert!(!dir.exists());
    }
}
