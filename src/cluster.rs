//! The project's own private PostgreSQL + PostGIS cluster.
//!
//! `diachinh` does not use (or touch) the distribution's system cluster. Instead it
//! keeps a cluster of its own under the checkout (`./var/pg` for development,
//! `./var/pg-test` for the test suite), created with the PostgreSQL 15 binaries in
//! [`PG_BIN`], listening only on `127.0.0.1:<port>` with `trust` authentication and
//! its unix socket inside the data directory (`<data>/run`).
//!
//! PostgreSQL refuses to run as root, so when this process is root every
//! `initdb`/`pg_ctl` call goes through `runuser -u postgres --` and the data
//! directory is owned by `postgres`. `psql` (a plain client) runs as whoever we are and
//! connects over TCP.
//!
//! Only `std` + `anyhow`: this module must not pull in the database stack.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{anyhow, bail, Context, Result};

/// Where Debian's PostgreSQL 15 binaries live.
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
/// The application database created (with PostGIS) by [`Cluster::start`].
pub const APP_DB: &str = "diachinh";
/// OS user that owns the cluster when we are root, and the database superuser name.
const PG_USER: &str = "postgres";
/// Our settings live in this file inside the data directory; `postgresql.conf`
/// just includes it, so it can be regenerated on every start.
const CONF_FILE: &str = "diachinh.conf";
const INCLUDE_LINE: &str = "include_if_exists = 'diachinh.conf'";
/// Server log, inside the data directory.
const LOG_FILE: &str = "server.log";
/// Socket directory, relative to the data directory.
const SOCKET_SUBDIR: &str = "run";
/// Where relocated data directories go (see [`Cluster::prepare_data_dir`]).
const RELOCATE_ROOT: &str = "/var/tmp";
/// `sun_path` is 108 bytes on Linux; PostgreSQL appends `/.s.PGSQL.NNNNN` (+ NUL).
const MAX_SOCKET_DIR_LEN: usize = 107 - ".s.PGSQL.65535".len() - 1;

#[derive(Debug, Clone)]
pub struct Cluster {
    /// The directory the caller asked for (may become a symlink, see `prepare_data_dir`).
    dir: PathBuf,
    port: u16,
    /// `false` trades crash safety for speed (test cluster).
    durable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running { pid: u32 },
    Stopped,
    NotInitialised,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Running { pid } => write!(f, "running (pid {pid})"),
            Status::Stopped => f.write_str("stopped"),
            Status::NotInitialised => f.write_str("not initialised"),
        }
    }
}

impl Cluster {
    /// `dir` e.g. `./var/pg`; `durable=false` sets `fsync=off`,
    /// `synchronous_commit=off`, `full_page_writes=off` (for the test cluster).
    pub fn new(dir: impl Into<PathBuf>, port: u16, durable: bool) -> Self {
        Cluster { dir: dir.into(), port, durable }
    }

    /// `postgres://postgres@127.0.0.1:PORT/DBNAME`
    pub fn url(&self, dbname: &str) -> String {
        format!("postgres://{PG_USER}@127.0.0.1:{}/{dbname}", self.port)
    }

    /// Idempotent: initdb on first use, (re)write our settings, start the server and make
    /// sure database `diachinh` exists with PostGIS. Returns quickly if already running.
    pub fn start(&self) -> Result<()> {
        let _lock = self.lock()?;
        let data = self.prepare_data_dir()?;
        let runner = Runner::detect()?;

        if !is_initialised(&data) {
            self.initdb(&runner, &data)?;
        }

        match pg_status(&runner, &data)? {
            Status::Running { pid } => {
                // Someone (maybe another `diachinh db start`) already runs it. Make sure it
                // is the server we think it is before talking to it.
                if let Some(actual) = running_port(&data) {
                    if actual != self.port {
                        bail!(
                            "the cluster in {} is already running (pid {pid}) on port {actual}, \
                             not on the requested port {}; stop it first",
                            data.display(),
                            self.port
                        );
                    }
                }
            }
            Status::Stopped | Status::NotInitialised => self.start_server(&runner, &data)?,
        }

        self.ensure_app_db().with_context(|| format!("while creating database {APP_DB} on port {}", self.port))
    }

    /// `pg_ctl stop -m fast`; fine if it is not running (or was never created).
    pub fn stop(&self) -> Result<()> {
        let Some(data) = self.existing_data_dir() else {
            return Ok(());
        };
        let _lock = self.lock()?;
        let runner = Runner::detect()?;
        match pg_status(&runner, &data)? {
            Status::Running { .. } => {}
            Status::Stopped | Status::NotInitialised => return Ok(()),
        }
        let out = runner
            .pg_command("pg_ctl", &data)
            .arg("stop")
            .arg("-D")
            .arg(&data)
            .args(["-m", "fast", "-w", "-t", "60"])
            .output()
            .with_context(|| format!("while running pg_ctl stop in {}", data.display()))?;
        if !out.status.success() {
            // Lost a race with another stopper?
            if let Ok(Status::Stopped) = pg_status(&runner, &data) {
                return Ok(());
            }
            bail!("pg_ctl stop failed in {}: {}{}", data.display(), output_text(&out), log_tail_section(&data));
        }
        Ok(())
    }

    pub fn status(&self) -> Result<Status> {
        let Some(data) = self.existing_data_dir() else {
            return Ok(Status::NotInitialised);
        };
        if !is_initialised(&data) {
            return Ok(Status::NotInitialised);
        }
        pg_status(&Runner::detect()?, &data)
    }

    // ---------------------------------------------------------------------------------

    /// Absolute form of `dir` (symlinks not resolved).
    fn abs_dir(&self) -> Result<PathBuf> {
        std::path::absolute(&self.dir).with_context(|| format!("cannot make {} absolute", self.dir.display()))
    }

    /// The real data directory if it exists already (following a relocation symlink);
    /// never creates anything.
    fn existing_data_dir(&self) -> Option<PathBuf> {
        let abs = self.abs_dir().ok()?;
        if abs.is_dir() {
            return Some(fs::canonicalize(&abs).unwrap_or(abs));
        }
        // The symlink to a relocated cluster may have been deleted (`rm -rf var`) while
        // its server still runs; still find it so that `stop`/`status` tell the truth.
        let target = relocation_target(&abs);
        (fs::symlink_metadata(&abs).is_err() && is_initialised(&target)).then_some(target)
    }

    /// Serialises `start`/`stop` of this cluster between processes (concurrent
    /// `db start`s must not run initdb twice). Held until the returned file is dropped.
    fn lock(&self) -> Result<fs::File> {
        let abs = self.abs_dir()?;
        let parent = abs.parent().ok_or_else(|| anyhow!("{} has no parent", abs.display()))?;
        fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        let name = abs.file_name().unwrap_or(OsStr::new("pg")).to_string_lossy();
        let path = parent.join(format!(".{name}.lock"));
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open lock file {}", path.display()))?;
        file.lock().with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(file)
    }

    /// Creates (if needed) the data directory, owned by the server user with mode 0700,
    /// and returns its real (symlink-free) path.
    fn prepare_data_dir(&self) -> Result<PathBuf> {
        let abs = self.abs_dir()?;
        let root = am_root();

        let real = match fs::symlink_metadata(&abs) {
            // Relocated earlier (see below): follow the link, recreating its target if
            // something (a /var/tmp clean-up) removed it.
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&abs).with_context(|| format!("cannot read symlink {}", abs.display()))?;
                let target = match abs.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
                create_dir_all_public(&target)?;
                fs::canonicalize(&target).with_context(|| format!("cannot resolve {}", target.display()))?
            }
            Ok(meta) if meta.is_dir() => {
                let real = fs::canonicalize(&abs).with_context(|| format!("cannot resolve {}", abs.display()))?;
                if root && !postgres_can_reach(&real)? {
                    if is_initialised(&real) || !dir_is_empty(&real)? {
                        bail!(
                            "{} is not accessible to the `{PG_USER}` user (a parent directory \
                             is not world-searchable) and is not empty, so it cannot be \
                             relocated; fix the permissions or remove it",
                            real.display()
                        );
                    }
                    fs::remove_dir(&real).with_context(|| format!("cannot remove empty {}", real.display()))?;
                    relocate(&abs)?
                } else {
                    real
                }
            }
            Ok(_) => bail!("{} exists and is not a directory", abs.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let parent = abs.parent().ok_or_else(|| anyhow!("{} has no parent directory", abs.display()))?;
                fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
                // A fresh clone may live where `postgres` cannot enter (e.g. under a mode
                // 0700 /root). PostgreSQL cannot run as root, and the server must be able
                // to reach its data directory, so in that case the data lives under
                // /var/tmp/diachinh-<hash of the path>/ and `dir` is a symlink to it.
                if root && !postgres_can_reach(parent)? {
                    relocate(&abs)?
                } else {
                    fs::create_dir(&abs).with_context(|| format!("cannot create {}", abs.display()))?;
                    fs::canonicalize(&abs).with_context(|| format!("cannot resolve {}", abs.display()))?
                }
            }
            Err(e) => return Err(e).with_context(|| format!("cannot stat {}", abs.display())),
        };

        fs::set_permissions(&real, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot chmod 0700 {}", real.display()))?;
        if root {
            chown_to_postgres(&real)?;
        }
        Ok(real)
    }

    fn initdb(&self, runner: &Runner, data: &Path) -> Result<()> {
        // initdb insists on an empty directory; a half-finished earlier attempt leaves
        // files behind without PG_VERSION, so clear those out.
        if !dir_is_empty(data)? {
            for entry in fs::read_dir(data)? {
                let path = entry?.path();
                if path.is_dir() && !path.is_symlink() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) }
                    .with_context(|| format!("cannot clean up {}", path.display()))?;
            }
        }
        let out = runner
            .pg_command("initdb", data)
            .arg("-D")
            .arg(data)
            .args(["--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-U", PG_USER])
            .output()
            .with_context(|| format!("while running initdb in {}", data.display()))?;
        if !out.status.success() {
            bail!("initdb failed in {}: {}", data.display(), output_text(&out));
        }
        // Hook our settings file into postgresql.conf (once).
        let conf = data.join("postgresql.conf");
        let mut text = fs::read_to_string(&conf).with_context(|| format!("cannot read {}", conf.display()))?;
        if !text.lines().any(|l| l.trim() == INCLUDE_LINE) {
            text.push_str("\n# Settings managed by diachinh (rewritten on every start)\n");
            text.push_str(INCLUDE_LINE);
            text.push('\n');
            fs::write(&conf, text).with_context(|| format!("cannot write {}", conf.display()))?;
        }
        Ok(())
    }

    fn start_server(&self, runner: &Runner, data: &Path) -> Result<()> {
        let socket_dir = data.join(SOCKET_SUBDIR);
        if socket_dir.as_os_str().len() > MAX_SOCKET_DIR_LEN {
            bail!(
                "socket directory {} is too long for a unix socket path; move the checkout \
                 (or the data directory) somewhere with a shorter path",
                socket_dir.display()
            );
        }
        fs::create_dir_all(&socket_dir).with_context(|| format!("cannot create {}", socket_dir.display()))?;
        fs::set_permissions(&socket_dir, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot chmod {}", socket_dir.display()))?;
        if runner.as_postgres {
            chown_to_postgres(&socket_dir)?;
        }

        let conf_path = data.join(CONF_FILE);
        fs::write(&conf_path, config_text(self.port, &socket_dir, self.durable))
            .with_context(|| format!("cannot write {}", conf_path.display()))?;
        if runner.as_postgres {
            chown_to_postgres(&conf_path)?;
        }

        let log = data.join(LOG_FILE);
        let out = runner
            .pg_command("pg_ctl", data)
            .arg("start")
            .arg("-D")
            .arg(data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "120"])
            .output()
            .with_context(|| format!("while running pg_ctl start in {}", data.display()))?;
        if !out.status.success() {
            // Lost a race with a concurrent `start`? Then it is running and that is fine.
            if let Ok(Status::Running { .. }) = pg_status(runner, data) {
                if running_port(data) == Some(self.port) {
                    return Ok(());
                }
            }
            bail!(
                "could not start PostgreSQL in {} on port {}: {}{}",
                data.display(),
                self.port,
                output_text(&out),
                log_tail_section(data)
            );
        }
        Ok(())
    }

    fn ensure_app_db(&self) -> Result<()> {
        let exists = |cluster: &Self| -> Result<bool> {
            let sql = format!("SELECT 1 FROM pg_database WHERE datname = '{APP_DB}'");
            Ok(cluster.psql("postgres", &sql)?.trim() == "1")
        };
        if !exists(self)? {
            if let Err(e) = self.psql("postgres", &format!("CREATE DATABASE \"{APP_DB}\"")) {
                // A concurrent start may have created it in the meantime.
                if !exists(self)? {
                    return Err(e);
                }
            }
        }
        let ext = "CREATE EXTENSION IF NOT EXISTS postgis";
        if let Err(first) = self.psql(APP_DB, ext) {
            // Two concurrent CREATE EXTENSION IF NOT EXISTS can collide; the retry sees it.
            self.psql(APP_DB, ext).map_err(|_| first)?;
        }
        Ok(())
    }

    /// Runs one SQL command with `psql` over TCP and returns its unaligned output.
    fn psql(&self, dbname: &str, sql: &str) -> Result<String> {
        let out = Command::new(Path::new(PG_BIN).join("psql"))
            .args(["-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", PG_USER, "-d", dbname, "-c", sql])
            .env("PGCONNECT_TIMEOUT", "10")
            .env("PGOPTIONS", "-c client_min_messages=warning")
            .env_remove("PGPASSWORD")
            .env_remove("PGSERVICE")
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("while running psql ({sql})"))?;
        if !out.status.success() {
            bail!("psql -d {dbname} -c {sql:?} failed: {}", output_text(&out));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// The settings we manage, written to `<data>/diachinh.conf`.
fn config_text(port: u16, socket_dir: &Path, durable: bool) -> String {
    let mut s = String::new();
    s.push_str("# Generated by diachinh on every `db start`; edits will be overwritten.\n");
    s.push_str("listen_addresses = '127.0.0.1'\n");
    let _ = writeln!(s, "port = {port}");
    let _ = writeln!(s, "unix_socket_directories = '{}'", conf_escape(&socket_dir.to_string_lossy()));
    s.push_str("max_connections = 200\n");
    s.push_str("shared_buffers = 256MB\n");
    if !durable {
        s.push_str("# Throw-away (test) cluster: speed over crash safety.\n");
        s.push_str("fsync = off\n");
        s.push_str("synchronous_commit = off\n");
        s.push_str("full_page_writes = off\n");
    }
    s
}

/// Quote-escape a value for a single-quoted postgresql.conf string.
fn conf_escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\'', "''")
}

fn is_initialised(data: &Path) -> bool {
    data.join("PG_VERSION").is_file()
}

fn dir_is_empty(dir: &Path) -> Result<bool> {
    Ok(fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?.next().is_none())
}

/// `pg_ctl status`: exit 0 = running, 3 = not running, 4 = no usable data directory.
fn pg_status(runner: &Runner, data: &Path) -> Result<Status> {
    if !is_initialised(data) {
        return Ok(Status::NotInitialised);
    }
    let out = runner
        .pg_command("pg_ctl", data)
        .arg("status")
        .arg("-D")
        .arg(data)
        .output()
        .with_context(|| format!("while running pg_ctl status in {}", data.display()))?;
    match out.status.code() {
        Some(0) => {
            let text = String::from_utf8_lossy(&out.stdout);
            let pid = parse_status_pid(&text)
                .ok_or_else(|| anyhow!("cannot find the PID in pg_ctl status output: {text}"))?;
            Ok(Status::Running { pid })
        }
        Some(3) => Ok(Status::Stopped),
        Some(4) => Ok(Status::NotInitialised),
        _ => bail!("pg_ctl status failed in {}: {}", data.display(), output_text(&out)),
    }
}

/// Extracts `1234` from `pg_ctl: server is running (PID: 1234)`.
fn parse_status_pid(text: &str) -> Option<u32> {
    let rest = &text[text.find("PID:")? + 4..];
    let digits: String = rest.trim_start().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The port of the running server, from line 4 of `postmaster.pid`.
fn running_port(data: &Path) -> Option<u16> {
    parse_pidfile_port(&fs::read_to_string(data.join("postmaster.pid")).ok()?)
}

fn parse_pidfile_port(text: &str) -> Option<u16> {
    text.lines().nth(3)?.trim().parse().ok()
}

/// Last lines of the server log, formatted for an error message ("" if there is none).
fn log_tail_section(data: &Path) -> String {
    match log_tail(&data.join(LOG_FILE), 30) {
        Some(tail) if !tail.trim().is_empty() => {
            format!("\n--- last lines of {} ---\n{}", data.join(LOG_FILE).display(), tail)
        }
        _ => String::new(),
    }
}

fn log_tail(path: &Path, lines: usize) -> Option<String> {
    let mut file = fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let start = len.saturating_sub(64 * 1024);
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut buf = Vec::new();
    file.read_to_end(&mut buf).ok()?;
    Some(last_lines(&String::from_utf8_lossy(&buf), lines))
}

fn last_lines(text: &str, n: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(n)..].join("\n")
}

fn output_text(out: &Output) -> String {
    let mut s = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !stdout.trim().is_empty() {
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(stdout.trim());
    }
    if s.is_empty() {
        s = format!("(no output, {})", out.status);
    }
    s
}

/// Runs the server-side binaries either directly or, when we are root, as `postgres`.
struct Runner {
    as_postgres: bool,
}

impl Runner {
    fn detect() -> Result<Self> {
        let as_postgres = am_root();
        if as_postgres {
            postgres_ids().context(
                "running as root, and PostgreSQL refuses to run as root, but there is no \
                 usable `postgres` system user to run it as",
            )?;
        }
        Ok(Runner { as_postgres })
    }

    fn pg_command(&self, program: &str, data: &Path) -> Command {
        let bin = Path::new(PG_BIN).join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", PG_USER, "--"]).arg(bin);
            c
        } else {
            Command::new(bin)
        };
        // Our cwd may be unreadable for `postgres`; the data dir is always fine once it exists.
        cmd.current_dir(if data.is_dir() { data } else { Path::new("/") });
        cmd.stdin(Stdio::null());
        cmd.env_remove("PGDATA").env_remove("PGPORT").env_remove("PGHOST");
        cmd
    }
}

fn am_root() -> bool {
    effective_uid() == Some(0)
}

/// Effective uid from /proc/self/status (`Uid: real effective saved fs`), else `id -u`.
fn effective_uid() -> Option<u32> {
    if let Ok(status) = fs::read_to_string("/proc/self/status") {
        if let Some(uid) = parse_proc_uid(&status) {
            return Some(uid);
        }
    }
    let out = Command::new("id").arg("-u").output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn parse_proc_uid(status: &str) -> Option<u32> {
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

fn postgres_ids() -> Result<(u32, u32)> {
    let id = |flag: &str| -> Result<u32> {
        let out = Command::new("id")
            .arg(flag)
            .arg(PG_USER)
            .output()
            .with_context(|| format!("while running id {flag} {PG_USER}"))?;
        if !out.status.success() {
            bail!("id {flag} {PG_USER}: {}", output_text(&out));
        }
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .with_context(|| format!("unexpected output from id {flag} {PG_USER}"))
    };
    Ok((id("-u")?, id("-g")?))
}

fn chown_to_postgres(path: &Path) -> Result<()> {
    let (uid, gid) = postgres_ids()?;
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .with_context(|| format!("cannot chown {} to {PG_USER}", path.display()))
}

/// Whether the `postgres` user can get to (search) `dir`: `test -x` fails unless every
/// ancestor is searchable too.
fn postgres_can_reach(dir: &Path) -> Result<bool> {
    let status = Command::new("runuser")
        .args(["-u", PG_USER, "--", "test", "-x"])
        .arg(dir)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .with_context(|| format!("while checking whether {PG_USER} can reach {}", dir.display()))?;
    Ok(status.success())
}

/// Puts the data directory for `abs` under `/var/tmp/diachinh-<hash>/` and makes `abs` a
/// symlink to it. Returns the real directory. An existing target (left behind when only
/// the symlink was deleted, possibly with its server still running) is reused, never
/// wiped.
fn relocate(abs: &Path) -> Result<PathBuf> {
    let target = relocation_target(abs);
    let home = target.parent().expect("relocation target has a parent");
    create_dir_all_public(home)?;
    match fs::create_dir(&target) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", target.display())),
    }
    std::os::unix::fs::symlink(&target, abs)
        .with_context(|| format!("cannot create symlink {} -> {}", abs.display(), target.display()))?;
    Ok(target)
}

/// `/var/tmp/diachinh-<hash of abs>/<file name of abs>`
fn relocation_target(abs: &Path) -> PathBuf {
    let name = abs.file_name().unwrap_or(OsStr::new("pg"));
    Path::new(RELOCATE_ROOT).join(relocation_dir_name(abs)).join(name)
}

fn relocation_dir_name(abs: &Path) -> String {
    format!("diachinh-{:012x}", fnv1a64(abs.as_os_str().as_encoded_bytes()) >> 16)
}

/// FNV-1a: tiny and stable across Rust versions (unlike `DefaultHasher`).
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// `create_dir_all`, then make the leaf searchable by everyone (mode 0755) so that
/// `postgres` can get through it regardless of our umask.
fn create_dir_all_public(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let meta = fs::metadata(dir).with_context(|| format!("cannot stat {}", dir.display()))?;
    if meta.permissions().mode() & 0o111 != 0o111 && am_root() {
        let mode = meta.permissions().mode() | 0o755;
        fs::set_permissions(dir, fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot chmod {}", dir.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_format() {
        let c = Cluster::new("var/pg", 54320, true);
        assert_eq!(c.url("diachinh"), "postgres://postgres@127.0.0.1:54320/diachinh");
        assert_eq!(c.url("postgres"), "postgres://postgres@127.0.0.1:54320/postgres");
    }

    #[test]
    fn config_durable() {
        let text = config_text(54320, Path::new("/x/var/pg/run"), true);
        assert!(text.contains("listen_addresses = '127.0.0.1'\n"));
        assert!(text.contains("port = 54320\n"));
        assert!(text.contains("unix_socket_directories = '/x/var/pg/run'\n"));
        assert!(text.contains("max_connections = 200\n"));
        assert!(text.contains("shared_buffers = 256MB\n"));
        assert!(!text.contains("fsync"));
        assert!(!text.contains("synchronous_commit"));
        assert!(!text.contains("full_page_writes"));
    }

    #[test]
    fn config_not_durable() {
        let text = config_text(54321, Path::new("/x/var/pg-test/run"), false);
        assert!(text.contains("port = 54321\n"));
        assert!(text.contains("fsync = off\n"));
        assert!(text.contains("synchronous_commit = off\n"));
        assert!(text.contains("full_page_writes = off\n"));
    }

    #[test]
    fn config_escapes_quotes() {
        let text = config_text(1, Path::new("/it's/run"), true);
        assert!(text.contains("unix_socket_directories = '/it''s/run'\n"));
    }

    #[test]
    fn status_pid() {
        assert_eq!(parse_status_pid("pg_ctl: server is running (PID: 4242)\n/usr/lib/..."), Some(4242));
        assert_eq!(parse_status_pid("pg_ctl: no server running"), None);
    }

    #[test]
    fn pidfile_port() {
        let pidfile = "4242\n/var/tmp/x/pg\n1700000000\n54399\n/var/tmp/x/pg/run\n127.0.0.1\n";
        assert_eq!(parse_pidfile_port(pidfile), Some(54399));
        assert_eq!(parse_pidfile_port("4242\n"), None);
    }

    #[test]
    fn proc_uid() {
        assert_eq!(parse_proc_uid("Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t1\n"), Some(0));
        assert_eq!(parse_proc_uid("Uid:\t1000\t1000\t1000\t1000\n"), Some(1000));
    }

    #[test]
    fn tail_lines() {
        assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(last_lines("a\n", 5), "a");
        assert_eq!(last_lines("", 5), "");
    }

    #[test]
    fn relocation_name_is_stable_and_short() {
        let a = relocation_dir_name(Path::new("/root/src/diachinh/var/pg"));
        assert_eq!(a, relocation_dir_name(Path::new("/root/src/diachinh/var/pg")));
        assert_ne!(a, relocation_dir_name(Path::new("/root/src/diachinh/var/pg-test")));
        assert_eq!(a.len(), "diachinh-".len() + 12);
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn socket_dir_limit() {
        // "<dir>/.s.PGSQL.65535" must fit in sun_path (108 bytes incl. NUL).
        assert!(MAX_SOCKET_DIR_LEN + 1 + ".s.PGSQL.65535".len() < 108);
    }
}
