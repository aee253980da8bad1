//! Our HTTP server, in this process, for a benchmark to load.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use anyhow::{Context, Result};

use diachinh::http;
use diachinh::service::Settings;

/// Our server on `127.0.0.1:<free port>`, on its own thread and actix system, with a pool of
/// `connections` connections to the benchmark database. Stop it with [`BenchServer::stop`].
pub struct BenchServer {
    pub addr: SocketAddr,
    who: String,
    handle: actix_web::dev::ServerHandle,
    thread: std::thread::JoinHandle<std::io::Result<()>>,
}

impl BenchServer {
    /// `who` names the thread and prefixes the messages.
    pub fn start(who: &str, url: &str, connections: u32, settings: Settings) -> Result<BenchServer> {
        let pool = store::pool(url, connections)?;
        let listener = TcpListener::bind("127.0.0.1:0").context("while binding 127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let state = http::AppState { pool, replicas: store::Replicas::none(), settings };
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new().name(format!("{who}-server")).spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = http::serve(listener, state, None)?;
                // The receiver only goes away if start() already failed.
                let _ = tx.send(server.handle());
                server.await
            })
        })?;
        let handle = rx.recv_timeout(Duration::from_secs(30)).context("the benchmark server did not start")?;
        eprintln!("{who}: server on http://{addr} (pool of {connections})");
        Ok(BenchServer { addr, who: who.to_string(), handle, thread })
    }

    /// Stops gracefully and waits for the thread; problems are reported, not returned.
    pub fn stop(self) {
        actix_web::rt::System::new().block_on(self.handle.stop(true));
        match self.thread.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("{}: server stopped with an error: {e}", self.who),
            Err(_) => eprintln!("{}: server thread panicked", self.who),
        }
    }

    /// Starts the server, runs `load` against its address, stops it, and returns what `load`
    /// returned.
    pub fn serve_while<T>(
        who: &str,
        url: &str,
        connections: u32,
        settings: Settings,
        load: impl FnOnce(SocketAddr) -> Result<T>,
    ) -> Result<T> {
        let server = BenchServer::start(who, url, connections, settings)?;
        let outcome = load(server.addr);
        server.stop();
        outcome
    }
}
