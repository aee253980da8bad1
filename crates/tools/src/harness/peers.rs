//! The peer servers a planning office would run instead of ours — tipg and pygeoapi (OGC API
//! Features, Python), Martin (vector tiles, Rust) — as child processes on 127.0.0.1, each in its
//! own process group so that stopping one stops its workers; and where they are installed
//! (scripts/bench-prereqs.sh puts them under `var/bench/`, pinned).

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use super::http::Client;
use super::process::WorkDir;

/// Where the peers come from.
pub const INSTALL_HINT: &str = "install them with scripts/bench-prereqs.sh (`make bench-prereqs`)";

/// The installed peers, under one directory (`var/bench` by default).
#[derive(Debug, Clone)]
pub struct PeerInstall {
    pub martin: PathBuf,
    pub tipg_venv: PathBuf,
    pub pygeoapi_venv: PathBuf,
}

impl PeerInstall {
    /// The peers under `dir`; an error naming what is missing.
    pub fn find(dir: &Path) -> Result<PeerInstall> {
        // Absolute: the peers run in the work directory.
        let dir = &dir.canonicalize().with_context(|| format!("{} is missing: {INSTALL_HINT}", dir.display()))?;
        let install = PeerInstall {
            martin: dir.join("martin/bin/martin"),
            tipg_venv: dir.join("tipg-venv"),
            pygeoapi_venv: dir.join("pygeoapi-venv"),
        };
        for path in [&install.martin, &install.tipg_bin("gunicorn"), &install.pygeoapi_bin("gunicorn")] {
            if !path.is_file() {
                bail!("{} is missing: {INSTALL_HINT}", path.display());
            }
        }
        Ok(install)
    }

    pub fn tipg_bin(&self, name: &str) -> PathBuf {
        self.tipg_venv.join("bin").join(name)
    }

    pub fn pygeoapi_bin(&self, name: &str) -> PathBuf {
        self.pygeoapi_venv.join("bin").join(name)
    }

    /// `martin --version`'s version, e.g. `1.14.0`.
    pub fn martin_version(&self) -> String {
        Command::new(&self.martin)
            .arg("--version")
            .stderr(Stdio::null())
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).split_whitespace().nth(1).map(str::to_string))
            .unwrap_or_else(|| "?".into())
    }

    /// The installed version of a Python distribution in `venv`.
    pub fn python_version(venv: &Path, distribution: &str) -> String {
        Command::new(venv.join("bin/python"))
            .args(["-c", &format!("import importlib.metadata as m; print(m.version({distribution:?}))")])
            .stderr(Stdio::null())
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "?".into())
    }
}

/// A free TCP port on 127.0.0.1 (free when asked: the peer binds it a moment later).
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("while looking for a free port")?;
    Ok(listener.local_addr()?.port())
}

/// A peer server: a child process leading its own process group, its output in files of the
/// work directory. Stopped (the whole group) by [`PeerServer::stop`] or when dropped.
pub struct PeerServer {
    pub name: String,
    pub addr: SocketAddr,
    child: Option<Child>,
    log: PathBuf,
}

impl PeerServer {
    /// Starts `cmd` and waits (at most `limit`) until `GET ready_path` answers 200.
    pub fn start(
        name: &str,
        mut cmd: Command,
        work: &WorkDir,
        addr: SocketAddr,
        ready_path: &str,
        limit: Duration,
    ) -> Result<PeerServer> {
        let log = work.path(&format!("{name}.log"));
        let out = fs::File::create(&log).with_context(|| format!("while creating {}", log.display()))?;
        let err = out.try_clone()?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .with_context(|| format!("while starting {name}"))?;
        let mut server = PeerServer { name: name.to_string(), addr, child: Some(child), log };
        eprintln!("bench-peers: starting {name} on http://{addr} (pid {})", server.pid().unwrap_or(0));
        let started = Instant::now();
        loop {
            if let Some(status) = server.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                bail!("{name} exited ({status}) before it answered: {}", server.log_tail());
            }
            if let Ok(response) = Client::new(addr).get(ready_path) {
                if response.status == 200 {
                    eprintln!("bench-peers: {name} ready after {:.1} s", started.elapsed().as_secs_f64());
                    return Ok(server);
                }
            }
            if started.elapsed() > limit {
                let tail = server.log_tail();
                server.stop();
                bail!("{name} did not answer GET {ready_path} with 200 within {} s: {tail}", limit.as_secs());
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The last 20 lines of the server's output.
    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// SIGTERM to the process group, then (after 15 s) SIGKILL; waits for the leader.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let group = format!("-{}", child.id());
        let signal = |sig: &str| {
            let _ = Command::new("kill").args([sig, "--", &group]).stderr(Stdio::null()).status();
        };
        signal("-TERM");
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(15) {
            if let Ok(Some(_)) = child.try_wait() {
                // The workers may outlive the leader by a moment: make sure of them too.
                signal("-KILL");
                eprintln!("bench-peers: {} stopped", self.name);
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        signal("-KILL");
        let _ = child.kill();
        let _ = child.wait();
        eprintln!("bench-peers: {} killed after 15 s", self.name);
    }
}

impl Drop for PeerServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `postgres://user:password@host:port/db?…` split into the parts the Python peers want
/// separately (pygeoapi's provider takes host, port, dbname, user and password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbParts {
    pub user: String,
    pub password: String,
    pub host: String,
    pub port: u16,
    pub dbname: String,
}

impl DbParts {
    pub fn parse(url: &str) -> Result<DbParts> {
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .ok_or_else(|| anyhow!("the database URL is not postgres://…"))?;
        let rest = rest.split('?').next().unwrap_or(rest);
        let (auth, host_db) = rest.rsplit_once('@').ok_or_else(|| anyhow!("the database URL has no user"))?;
        let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
        let (host_port, dbname) = host_db.split_once('/').ok_or_else(|| anyhow!("the database URL has no database"))?;
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().context("the database URL's port")?),
            None => (host_port, 5432),
        };
        let decode = |s: &str| percent_decode(s);
        Ok(DbParts {
            user: decode(user),
            password: decode(password),
            host: host.to_string(),
            port,
            dbname: dbname.to_string(),
        })
    }

    /// libpq's keyword form without the password (pass it as PGPASSWORD).
    pub fn libpq_without_password(&self) -> String {
        format!("host={} port={} dbname={} user={}", self.host, self.port, self.dbname, self.user)
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_parts() {
        let p = DbParts::parse("postgres://postgres:p%40ss@127.0.0.1:54320/diachinh_bench_1000000?sslmode=disable")
            .unwrap();
        assert_eq!(
            p,
            DbParts {
                user: "postgres".into(),
                password: "p@ss".into(),
                host: "127.0.0.1".into(),
                port: 54320,
                dbname: "diachinh_bench_1000000".into()
            }
        );
        assert_eq!(p.libpq_without_password(), "host=127.0.0.1 port=54320 dbname=diachinh_bench_1000000 user=postgres");
        assert_eq!(DbParts::parse("postgresql://u@h/d").unwrap().port, 5432);
        assert!(DbParts::parse("mysql://u@h/d").is_err());
        assert_eq!(percent_decode("a%2Fb%"), "a/b%");
    }
}
