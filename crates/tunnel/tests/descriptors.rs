//! Descriptors come back when connections close. In a test binary of its own: tests running
//! beside it in one process would open and close descriptors of their own meanwhile.

mod common;

use std::time::Duration;

use bai_tunnel::TunnelConfig;
use common::*;

#[tokio::test]
async fn file_descriptors_return_to_the_baseline_after_connections_close() {
    let s = setup(TunnelConfig::default()).await;
    // Warm up (version negotiation, pools), then measure.
    s.conn().await.get("/small", false).await.expect("warm-up");
    wait_open(&s.tunnel, 0).await;
    // Let the spare WebSockets fill up: they are part of the steady state.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let baseline = open_fds();
    let mut conns = Vec::new();
    for _ in 0..40 {
        let mut c = s.conn().await;
        assert_eq!(c.get("/small", false).await.expect("answer").status, 200);
        conns.push(c);
    }
    assert!(open_fds() >= baseline + 40, "connections hold descriptors");
    drop(conns);
    wait_open(&s.tunnel, 0).await;
    assert_eq!(s.tunnel.stats().errors, 0, "closing is not an error");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while open_fds() > baseline && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        open_fds() <= baseline,
        "{} open descriptors, baseline {baseline}",
        open_fds()
    );
}
