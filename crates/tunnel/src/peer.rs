//! Which local user's program holds the other end of a loopback connection. A secret can leak
//! (a cookie sent by a page to another port of the tunnel's address, a URL read over a
//! shoulder): on Linux the kernel also says who connected, so another user's program is
//! refused even with the right cookie or token.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The uid owning the socket at `peer` connected to `local`, where the OS says (Linux:
/// `/proc/net/tcp`, `/proc/net/tcp6`); `None` elsewhere or when it cannot be found.
pub fn owner_uid(local: SocketAddr, peer: SocketAddr) -> Option<u32> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .find_map(|table| {
            let text = std::fs::read_to_string(table).ok()?;
            find_uid(&text, local, peer)
        })
}

/// The uid of the row whose local end is `peer` and remote end is `local` (the peer's view).
/// A flood can make the table thousands of rows long: rows are skipped by a plain substring
/// search for the peer's port before any parsing.
fn find_uid(table: &str, local: SocketAddr, peer: SocketAddr) -> Option<u32> {
    let port = format!(":{:04X} ", peer.port());
    table
        .lines()
        .skip(1)
        .filter(|l| l.contains(&port))
        .find_map(|line| {
            let mut f = line.split_whitespace();
            let own = f.nth(1)?;
            let remote = f.next()?;
            let uid = f.nth(4)?;
            (same(parse_addr(own)?, peer) && same(parse_addr(remote)?, local))
                .then(|| uid.parse().ok())?
        })
}

/// Equal, counting an IPv4-mapped IPv6 address as its IPv4 address.
fn same(a: SocketAddr, b: SocketAddr) -> bool {
    let v4 = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    a.port() == b.port() && v4(a.ip()) == v4(b.ip())
}

/// `0100007F:1F90` (each 32-bit word in the kernel's byte order) → 127.0.0.1:8080.
fn parse_addr(s: &str) -> Option<SocketAddr> {
    let (ip, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        Some(
            u32::from_str_radix(ip.get(i * 8..i * 8 + 8)?, 16)
                .ok()?
                .to_ne_bytes(),
        )
    };
    let ip = match ip.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut b = [0u8; 16];
            for i in 0..4 {
                b[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_endian = "little")]
    fn rows_are_read_from_the_peers_side() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
           0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n\
           1: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 2 1\n\
           2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 3 1\n";
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let peer: SocketAddr = "127.0.0.1:50000".parse().unwrap();
        assert_eq!(find_uid(table, local, peer), Some(1000));
        assert_eq!(
            find_uid(table, peer, local),
            Some(0),
            "the other direction is our own row"
        );
        let v6 = "0000000000000000FFFF00000100007F:1F90";
        assert_eq!(parse_addr(v6).map(|a| same(a, local)), Some(true));
    }

    #[tokio::test]
    #[cfg(target_os = "linux")]
    async fn a_real_connection_is_found_with_our_uid() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let c = tokio::net::TcpStream::connect(l.local_addr().unwrap())
            .await
            .unwrap();
        let (s, peer) = l.accept().await.unwrap();
        assert_eq!(peer, c.local_addr().unwrap());
        let me = rustix::process::geteuid().as_raw();
        assert_eq!(owner_uid(s.local_addr().unwrap(), peer), Some(me));
    }
}
