//! Ending a session from the app (a button, the tray, closing its last window per settings).

use super::SessionService;
use super::events::LiveEvent;
use crate::Error;

impl SessionService {
    /// Terminate `session_id` of `profile_id`: close its tunnels (their windows go away), then
    /// ask the server. The end is expected, so no "ended on the server" notice follows. Only
    /// the caller's own sessions: an admin's account can see, and could end, other users'.
    pub async fn terminate(&self, profile_id: &str, session_id: &str) -> Result<(), Error> {
        let profile = self.profile(profile_id).await?;
        let client = self.connect(&profile).await?;
        if !client.is_own_session(session_id).await? {
            return Err(Error::NotOwnSession {
                session: session_id.to_owned(),
            });
        }
        self.inner.maps.ending().insert(session_id.to_owned());
        for t in self.take_session_tunnels(session_id) {
            t.tunnel.close();
            self.publish(LiveEvent::TunnelClosed(t));
        }
        if let Err(e) = client.destroy_session(session_id, false).await {
            self.inner.maps.ending().remove(session_id);
            self.wake(profile_id);
            return Err(e);
        }
        tracing::info!(profile = %profile.name, session_id, "session terminated from the app");
        self.wake(profile_id);
        Ok(())
    }
}
