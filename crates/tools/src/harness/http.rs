//! A minimal HTTP/1.1 client (keep-alive, Content-Length or chunked bodies): the requests a
//! benchmark times one by one or checks before loading a server with wrk.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result};

/// Bound of one request (connect, write, each read).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// One keep-alive connection to `addr`, opened on first use and again after the server
/// closed it.
pub struct Client {
    addr: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
}

/// A response: its status and (de-chunked) body.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    /// The body as text (lossy), cut to `max` characters, for messages.
    pub fn body_excerpt(&self, max: usize) -> String {
        String::from_utf8_lossy(&self.body).chars().take(max).collect()
    }
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client { addr, stream: None }
    }

    /// `POST path` with a JSON body and an optional bearer token.
    pub fn post(&mut self, path: &str, token: Option<&str>, body: &str) -> Result<Response> {
        let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        self.send(&request).with_context(|| format!("POST {path}"))
    }

    /// `GET path`, as wrk sends it (no Accept, no Accept-Encoding).
    pub fn get(&mut self, path: &str) -> Result<Response> {
        let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.addr);
        self.send(&request).with_context(|| format!("GET {path}"))
    }

    fn send(&mut self, request: &str) -> Result<Response> {
        // One retry, on a fresh connection, when a kept-alive one was closed by the server.
        for attempt in 0..2 {
            let fresh = self.stream.is_none();
            if fresh {
                let s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(10))?;
                s.set_nodelay(true)?;
                s.set_read_timeout(Some(REQUEST_TIMEOUT))?;
                s.set_write_timeout(Some(REQUEST_TIMEOUT))?;
                self.stream = Some(BufReader::new(s));
            }
            let stream = self.stream.as_mut().expect("connected above");
            let result = stream.get_mut().write_all(request.as_bytes()).and_then(|_| read_response(stream));
            match result {
                Ok((response, keep_alive)) => {
                    if !keep_alive {
                        self.stream = None;
                    }
                    return Ok(response);
                }
                Err(e) => {
                    self.stream = None;
                    if fresh || attempt == 1 {
                        return Err(e.into());
                    }
                }
            }
        }
        unreachable!("the loop returns")
    }
}

fn read_response(r: &mut BufReader<TcpStream>) -> std::io::Result<(Response, bool)> {
    use std::io::{Error, ErrorKind};
    let bad = |m: &str| Error::new(ErrorKind::InvalidData, m.to_string());
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(Error::new(ErrorKind::UnexpectedEof, "connection closed"));
    }
    let status: u16 =
        line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad("no status line"))?;
    let (mut length, mut chunked, mut keep_alive) = (None, false, !line.starts_with("HTTP/1.0"));
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(Error::new(ErrorKind::UnexpectedEof, "connection closed in the headers"));
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_ascii_lowercase());
            match name.as_str() {
                "content-length" => length = Some(value.parse::<usize>().map_err(|_| bad("bad content-length"))?),
                "transfer-encoding" => chunked = value.contains("chunked"),
                "connection" => keep_alive = value != "close",
                _ => {}
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| bad("bad chunk size"))?;
            if size == 0 {
                loop {
                    line.clear();
                    if r.read_line(&mut line)? == 0 || line.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..])?;
            let mut crlf = [0u8; 2];
            r.read_exact(&mut crlf)?;
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else if status == 204 || status == 304 {
        // No body, whatever the headers say.
    } else {
        r.read_to_end(&mut body)?;
        keep_alive = false;
    }
    Ok((Response { status, body }, keep_alive))
}
