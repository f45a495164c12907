//! Backend.AI-compatible test server.
