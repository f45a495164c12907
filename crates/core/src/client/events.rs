//! Session events over SSE (`GET /events/session?sessionName=<name>&scope=*`).

use std::pin::Pin;

use bytes::Bytes;
use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::api::{Call, Client, Payload, encode_query_value};
use super::event_cap::{Capped, MAX_EVENT_BYTES, cap_event_size};
use super::status::SessionStatus;
use crate::error::{Error, Result};

/// What happened to a session (the SSE `event:` name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionEventKind {
    Enqueued,
    Scheduled,
    Preparing,
    Pulling,
    Prepared,
    Creating,
    /// The session is RUNNING.
    Started,
    Terminating,
    Terminated,
    Cancelled,
    /// Batch sessions: the startup command exited with 0.
    Success,
    /// Batch sessions: the startup command failed.
    Failure,
    /// A kernel event, e.g. `Kernel("pulling")` for `kernel_pulling`.
    Kernel(String),
    Other(String),
}

impl SessionEventKind {
    pub fn parse(name: &str) -> Self {
        match name {
            "session_enqueued" => Self::Enqueued,
            "session_scheduled" => Self::Scheduled,
            "session_preparing" => Self::Preparing,
            "session_pulling" => Self::Pulling,
            "session_prepared" => Self::Prepared,
            "session_creating" => Self::Creating,
            "session_started" => Self::Started,
            "session_terminating" => Self::Terminating,
            "session_terminated" => Self::Terminated,
            "session_cancelled" => Self::Cancelled,
            "session_success" => Self::Success,
            "session_failure" => Self::Failure,
            other => match other.strip_prefix("kernel_") {
                Some(k) => Self::Kernel(k.to_owned()),
                None => Self::Other(other.to_owned()),
            },
        }
    }

    /// The session status this event means, when it means one.
    pub fn status(&self) -> Option<SessionStatus> {
        Some(match self {
            Self::Enqueued => SessionStatus::Pending,
            Self::Scheduled => SessionStatus::Scheduled,
            Self::Preparing => SessionStatus::Preparing,
            Self::Pulling => SessionStatus::Pulling,
            Self::Prepared => SessionStatus::Prepared,
            Self::Creating => SessionStatus::Creating,
            Self::Started => SessionStatus::Running,
            Self::Terminating => SessionStatus::Terminating,
            Self::Terminated | Self::Success => SessionStatus::Terminated,
            Self::Cancelled => SessionStatus::Cancelled,
            Self::Failure => SessionStatus::Error,
            // Image pulls are reported per kernel only on some versions.
            Self::Kernel(k) if k == "pulling" => SessionStatus::Pulling,
            Self::Kernel(_) | Self::Other(_) => return None,
        })
    }
}

/// One session event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEvent {
    pub kind: SessionEventKind,
    pub reason: Option<String>,
    pub session_name: Option<String>,
    pub session_id: Option<String>,
    pub owner_access_key: Option<String>,
    pub exit_code: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventData {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    session_name: Option<String>,
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    owner_access_key: Option<String>,
    #[serde(default)]
    exit_code: Option<i64>,
}

/// A stream of session events; ends when the server closes the stream.
pub type SessionEventStream = Pin<Box<dyn Stream<Item = Result<SessionEvent>> + Send>>;

/// Parse SSE bytes into session events. Comments and empty keep-alives are skipped; a
/// transport failure or undecodable bytes yield an `EventStream` error item, and an event
/// larger than [`MAX_EVENT_BYTES`] an `EventTooLarge` item that ends the stream.
pub fn parse_session_events<S, E>(bytes: S) -> impl Stream<Item = Result<SessionEvent>>
where
    S: Stream<Item = std::result::Result<Bytes, E>>,
    E: std::fmt::Display,
{
    parse_capped(bytes, MAX_EVENT_BYTES)
}

fn parse_capped<S, E>(bytes: S, limit: usize) -> impl Stream<Item = Result<SessionEvent>>
where
    S: Stream<Item = std::result::Result<Bytes, E>>,
    E: std::fmt::Display,
{
    cap_event_size(bytes, limit)
        .eventsource()
        .filter_map(|item| async move {
            match item {
                Ok(ev) => decode_event(&ev.event, &ev.data),
                Err(EventStreamError::Transport(Capped::TooLarge(limit))) => {
                    Some(Err(Error::EventTooLarge { limit }))
                }
                Err(EventStreamError::Transport(e)) => Some(Err(Error::EventStream {
                    detail: format!("the connection broke: {e}"),
                })),
                Err(EventStreamError::Utf8(e)) => Some(Err(Error::EventStream {
                    detail: format!("the server sent bytes that are not UTF-8: {e}"),
                })),
                Err(EventStreamError::Parser(e)) => Some(Err(Error::EventStream {
                    detail: format!("the server sent a malformed event line: {e:?}"),
                })),
            }
        })
}

fn decode_event(name: &str, data: &str) -> Option<Result<SessionEvent>> {
    if name.is_empty() || name == "message" && data.trim().is_empty() {
        return None;
    }
    let kind = SessionEventKind::parse(name);
    let parsed: EventData = match serde_json::from_str(data) {
        Ok(d) => d,
        Err(e) => {
            return Some(Err(Error::EventStream {
                detail: format!("event {name:?} carries data that is not the expected JSON: {e}"),
            }));
        }
    };
    Some(Ok(SessionEvent {
        kind,
        reason: parsed.reason.filter(|r| !r.is_empty()),
        session_name: parsed.session_name,
        session_id: parsed.session_id,
        owner_access_key: parsed.owner_access_key,
        exit_code: parsed.exit_code,
    }))
}

impl Client {
    /// Subscribe to a session's events. The real manager accepts only the session NAME here
    /// (a UUID gives 404). The stream does not end on its own after a terminal event: drop it.
    pub async fn session_events(&self, session_name: &str) -> Result<SessionEventStream> {
        let path = format!(
            "/events/session?sessionName={}&scope=*",
            encode_query_value(session_name)
        );
        let mut call = Call::new(Method::GET, path);
        call.payload = Payload::Stream;
        call.session_name = Some(session_name.to_owned());
        let response = self.execute(call, true).await?;
        let is_sse = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/event-stream"));
        if !is_sse {
            return Err(Error::EventStream {
                detail: "the server did not answer with an event stream (text/event-stream); a proxy may be in the way".into(),
            });
        }
        Ok(Box::pin(parse_session_events(response.bytes_stream())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    fn chunks(parts: &[&str]) -> impl Stream<Item = std::result::Result<Bytes, String>> {
        let owned: Vec<_> = parts
            .iter()
            .map(|p| Ok(Bytes::copy_from_slice(p.as_bytes())))
            .collect();
        stream::iter(owned)
    }

    async fn collect(parts: &[&str]) -> Vec<Result<SessionEvent>> {
        parse_session_events(chunks(parts)).collect().await
    }

    #[tokio::test]
    async fn parses_events_split_anywhere_and_skips_comments() {
        let text = ": keep-alive\n\nevent: session_scheduled\ndata: {\"reason\": \"\", \"sessionName\": \"nb\", \"sessionId\": \"u1\", \"ownerAccessKey\": \"AK\", \"exitCode\": null}\n\n:ping\n\nevent: kernel_pulling\ndata: {\"sessionName\": \"nb\", \"kernelId\": \"k\"}\n\nevent: session_started\r\ndata: {\"sessionName\": \"nb\", \"sessionId\": \"u1\"}\r\n\r\n";
        // Every split point, including inside a field name, inside the JSON and between \r and \n.
        for cut in 1..text.len() {
            let (a, b) = text.split_at(cut);
            let events: Vec<_> = collect(&[a, b])
                .await
                .into_iter()
                .map(|r| r.expect("valid event"))
                .collect();
            let kinds: Vec<_> = events.iter().map(|e| e.kind.clone()).collect();
            assert_eq!(
                kinds,
                [
                    SessionEventKind::Scheduled,
                    SessionEventKind::Kernel("pulling".into()),
                    SessionEventKind::Started
                ],
                "cut at {cut}"
            );
            assert_eq!(events[0].session_id.as_deref(), Some("u1"));
            assert_eq!(events[0].reason, None);
            assert_eq!(events[2].kind.status(), Some(SessionStatus::Running));
        }
    }

    #[tokio::test]
    async fn bad_data_and_broken_transport_are_errors() {
        let out = collect(&["event: session_terminated\ndata: not json\n\n"]).await;
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].as_ref().expect_err("bad json").code(),
            "event-stream"
        );

        let broken = stream::iter(vec![
            Ok(Bytes::from_static(b"event: session_creating\ndata: {}\n\n")),
            Err("connection reset".to_owned()),
        ]);
        let out: Vec<_> = parse_session_events(broken).collect().await;
        assert_eq!(
            out[0].as_ref().expect("event").kind,
            SessionEventKind::Creating
        );
        let e = out[1].as_ref().expect_err("transport");
        assert!(e.to_string().contains("connection reset"), "{e}");
    }

    #[tokio::test]
    async fn an_endless_event_is_cut_off_with_a_clear_error() {
        // Two good events, then one that never ends.
        let head = "event: session_creating\ndata: {}\n\n".repeat(2);
        let endless =
            stream::iter([Ok::<_, String>(Bytes::from(head))]).chain(stream::repeat_with(|| {
                Ok(Bytes::from_static(b"data: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"))
            }));
        let out: Vec<_> = parse_capped(endless, 4096).collect().await;
        assert_eq!(out.len(), 3, "{out:?}");
        assert!(out[..2].iter().all(|e| e.is_ok()));
        let e = out[2].as_ref().expect_err("too large");
        assert_eq!(e.code(), "event-too-large");
        assert!(e.to_string().contains("larger than 4096 bytes"), "{e}");
        assert!(!e.is_transient());
    }

    #[test]
    fn kinds_and_statuses() {
        assert_eq!(
            SessionEventKind::parse("session_failure").status(),
            Some(SessionStatus::Error)
        );
        assert_eq!(
            SessionEventKind::parse("session_cancelled").status(),
            Some(SessionStatus::Cancelled)
        );
        assert_eq!(SessionEventKind::parse("kernel_started").status(), None);
        assert_eq!(
            SessionEventKind::parse("something_else"),
            SessionEventKind::Other("something_else".into())
        );
    }
}
