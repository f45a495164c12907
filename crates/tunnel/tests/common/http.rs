//! A local HTTP server (the app behind the tunnel) and a minimal raw HTTP/1.1 client, shared
//! by the tests and the benchmark.
#![allow(dead_code)]

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::routing::get;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Serves `/small` (2 bytes) and `/blob/{n}` (n bytes, streamed in 64 KiB chunks).
pub async fn app_server() -> SocketAddr {
    let app = Router::new()
        .route("/small", get(|| async { "ok" }))
        .route("/", get(|| async { "home" }))
        .route(
            "/blob/{n}",
            get(|Path(n): Path<u64>| async move {
                let chunk = bytes::Bytes::from(vec![b'x'; 64 * 1024]);
                let stream = futures_util::stream::unfold(n, move |left| {
                    let chunk = chunk.clone();
                    async move {
                        if left == 0 {
                            return None;
                        }
                        let take = left.min(chunk.len() as u64);
                        Some((
                            Ok::<_, std::io::Error>(chunk.slice(..take as usize)),
                            left - take,
                        ))
                    }
                });
                axum::response::Response::builder()
                    .header("content-length", n)
                    .body(Body::from_stream(stream))
                    .expect("response")
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind app server");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// One parsed response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A kept-alive HTTP/1.1 connection.
#[derive(Debug)]
pub struct Conn {
    io: BufReader<TcpStream>,
    pub host: String,
    pub cookie: Option<String>,
    /// Extra header lines, each ending in CRLF.
    pub extra_headers: String,
}

impl Conn {
    pub async fn open(addr: SocketAddr, cookie: Option<&str>) -> std::io::Result<Conn> {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        Ok(Conn {
            io: BufReader::with_capacity(256 * 1024, s),
            host: addr.to_string(),
            cookie: cookie.map(str::to_owned),
            extra_headers: String::new(),
        })
    }

    /// Send a GET and read the whole response (Content-Length or to EOF). `sink` discards the
    /// body (counting it) instead of keeping it.
    pub async fn get(&mut self, path: &str, sink: bool) -> std::io::Result<Resp> {
        self.send_get(path).await?;
        self.read_response(sink).await
    }

    pub async fn send_get(&mut self, path: &str) -> std::io::Result<()> {
        let mut req = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        if let Some(c) = &self.cookie {
            req.push_str(&format!("Cookie: {c}\r\n"));
        }
        req.push_str(&self.extra_headers);
        req.push_str("\r\n");
        self.io.get_mut().write_all(req.as_bytes()).await
    }

    pub async fn send_raw(&mut self, raw: &[u8]) -> std::io::Result<()> {
        self.io.get_mut().write_all(raw).await
    }

    /// The first byte of the answer arrives (for time-to-first-byte).
    pub async fn first_byte(&mut self) -> std::io::Result<()> {
        let buf = self.io.fill_buf().await?;
        if buf.is_empty() {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }

    pub async fn read_response(&mut self, sink: bool) -> std::io::Result<Resp> {
        let mut line = String::new();
        if self.io.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            if self.io.read_line(&mut line).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let len = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<u64>().ok());
        let mut body = Vec::new();
        match len {
            Some(n) if sink => {
                let copied =
                    tokio::io::copy(&mut (&mut self.io).take(n), &mut tokio::io::sink()).await?;
                if copied != n {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
            }
            Some(n) => {
                (&mut self.io).take(n).read_to_end(&mut body).await?;
                if body.len() as u64 != n {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
            }
            None => {
                self.io.read_to_end(&mut body).await?;
            }
        }
        Ok(Resp {
            status,
            headers,
            body,
        })
    }
}

/// One request on a new connection.
pub async fn get_once(addr: SocketAddr, cookie: Option<&str>, path: &str) -> std::io::Result<Resp> {
    Conn::open(addr, cookie).await?.get(path, false).await
}

/// Use the auth URL once and return the `name=value` cookie it sets.
pub async fn authorize(auth_url: &str) -> String {
    let rest = auth_url.strip_prefix("http://").expect("http auth url");
    let (host, path) = rest.split_once('/').expect("path");
    let addr: SocketAddr = host.parse().expect("addr");
    let resp = get_once(addr, None, &format!("/{path}"))
        .await
        .expect("auth request");
    assert_eq!(resp.status, 200, "auth page: {}", resp.text());
    let set = resp.header("set-cookie").expect("Set-Cookie").to_owned();
    set.split(';').next().expect("name=value").trim().to_owned()
}
