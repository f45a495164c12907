//! A delaying TCP relay: a listener in front of another address that adds a fixed latency to
//! each direction, for figures "as if the manager were 20 or 100 ms away".
//!
//! Each chunk read is stamped with the time it may leave and queued; a writer sends it when
//! that time comes. So bytes keep flowing at the link's bandwidth and only latency is added
//! (sleeping on each chunk in turn would add the delay once per chunk and cap the throughput).
//! The bytes in flight are bounded, so a reader that does not keep up still pushes back. TLS
//! passes through untouched (it is a TCP relay).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Bytes in flight per direction before the reader waits: 64 MiB, so a 50 ms one-way delay
/// still passes 1.25 GiB/s (the queue holds what the link carries during the delay).
const IN_FLIGHT: usize = 64 * 1024 * 1024;
const CHUNK: usize = 256 * 1024;

/// A running relay; dropping it stops accepting and ends the relayed connections.
#[derive(Debug)]
pub struct DelayRelay {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl DelayRelay {
    /// Listen on 127.0.0.1:`port` (0: any) and relay each connection to `target`, adding
    /// `one_way` to each direction (a round trip of twice that).
    pub async fn start(
        port: u16,
        target: SocketAddr,
        one_way: Duration,
    ) -> std::io::Result<DelayRelay> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(accept(listener, target, one_way));
        Ok(DelayRelay { addr, task })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for DelayRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(listener: TcpListener, target: SocketAddr, one_way: Duration) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let (client, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("delay relay: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Finished connections are reaped as new ones come, so the set does not grow.
        while conns.try_join_next().is_some() {}
        conns.spawn(async move {
            // The connection itself (SYN, SYN-ACK) takes a round trip on a real link.
            let started = Instant::now();
            let server = match TcpStream::connect(target).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!("delay relay: cannot reach {target}: {e}");
                    return;
                }
            };
            tokio::time::sleep_until(started + one_way * 2).await;
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::join!(pipe(cr, sw, one_way), pipe(sr, cw, one_way));
        });
    }
}

/// One direction: a reader stamping chunks, a writer sending each at its time.
async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, delay: Duration) {
    // `None`: the reader saw the end (or an error); shut the write side down at its time.
    // Bounded by bytes, not chunks: reads come in all sizes (a TLS record, a frame).
    type Queued = (Instant, Option<Bytes>, Option<OwnedSemaphorePermit>);
    let (tx, mut rx) = mpsc::unbounded_channel::<Queued>();
    let budget = Arc::new(Semaphore::new(IN_FLIGHT));
    let reader = async move {
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = from.read(&mut buf).await.unwrap_or(0);
            let due = Instant::now() + delay;
            if n == 0 {
                let _ = tx.send((due, None, None));
                return;
            }
            let chunk = Bytes::copy_from_slice(&buf[..n]);
            // CHUNK fits in u32.
            let Ok(permit) = budget.clone().acquire_many_owned(n as u32).await else {
                return;
            };
            if tx.send((due, Some(chunk), Some(permit))).is_err() {
                return;
            }
        }
    };
    let writer = async move {
        while let Some((due, chunk, _permit)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            match chunk {
                Some(b) => {
                    if to.write_all(&b).await.is_err() {
                        return;
                    }
                }
                None => break,
            }
        }
        let _ = to.shutdown().await;
    };
    // The writer ending (the peer went away) drops the queue, which ends the reader.
    tokio::join!(reader, writer);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server on 127.0.0.1.
    async fn echo() -> SocketAddr {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind");
        let addr = l.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = s.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn adds_the_delay_each_way_and_keeps_every_byte_in_order() {
        let one_way = Duration::from_millis(40);
        let relay = DelayRelay::start(0, echo().await, one_way)
            .await
            .expect("relay");
        let started = Instant::now();
        let mut s = TcpStream::connect(relay.addr()).await.expect("connect");
        s.set_nodelay(true).expect("nodelay");
        let mut b = [0u8; 1];
        s.write_all(b"x").await.expect("write");
        s.read_exact(&mut b).await.expect("echo");
        assert_eq!(&b, b"x");
        // Connect (a round trip) plus the echo's round trip: the floor, never an upper bound.
        assert!(
            started.elapsed() >= one_way * 4,
            "{:?} < 4 × {one_way:?}",
            started.elapsed()
        );

        // 8 MiB of a pattern both ways at once: all of it comes back, in order.
        let data: Vec<u8> = (0..8 * 1024 * 1024u32)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let (mut r, mut w) = s.into_split();
        let sent = data.clone();
        let writer = tokio::spawn(async move {
            w.write_all(&sent).await.expect("send");
            w.shutdown().await.expect("shutdown");
        });
        let mut back = Vec::new();
        r.read_to_end(&mut back).await.expect("read");
        writer.await.expect("writer");
        assert_eq!(back.len(), data.len());
        assert!(back == data, "the bytes came back changed or out of order");
    }
}
